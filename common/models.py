from django.db import models


class BaseModel(models.Model):
    """Every table carries when its row was created and last changed."""

    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True
