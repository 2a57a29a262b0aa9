from django.apps import AppConfig


class PerfConfig(AppConfig):
    """Load generation for the benchmarks (bench/): no models, no migrations, no URLs."""

    name = "perf"
    verbose_name = "性能测试数据"
