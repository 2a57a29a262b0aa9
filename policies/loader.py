"""Load the policy data in policies/data/ into the database (documents, groups, items).

Who calls: `manage.py load_policies`, `seed_demo` (through `load_all()`), tests. The data files
are the source of truth for the fields they set; the loader never touches budgets or rounds.

Files (all in policies/data/, reviewable in the repository):
- documents.yaml: the 19 fundable documents; texts/<code>.txt: their original text.
- catalogue.json: the 204 items of policy-catalogue.json, loaded as given (detailed: false).
- items/<document>.yaml: fully encoded items (detailed: true), replacing their catalogue entry.
- exclusivity_groups.yaml: 同类政策组 and their members; bureaus.yaml: the responsible bureau of
  catalogue items; item_periods.yaml: clauses with their own period.
"""

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from .models import ExclusivityGroup, PolicyDocument, PolicyItem
from .rules.amount_words import describe
from .schema import PolicySchemaError, validate_document, validate_item

DATA_DIR = Path(__file__).resolve().parent / "data"
NON_ASCII_GAP = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
ITEM_DEFAULTS = ("bureau_function", "lead", "mode", "beneficiary", "funding")
DOCUMENT_FIELDS = ("title", "doc_no", "issuer", "issued_on", "effective_from", "effective_to", "lead_department",
                   "abolished_on", "source_seed", "source_lines", "source_text")  # fmt: skip
ITEM_FIELDS = (
    "document", "name", "description", "bureau_function", "lead", "beneficiary", "review_departments", "materials",
    "declared_fields", "eligibility", "amount_rule", "funding", "exclusivity_group", "mode", "effective_from",
    "effective_to", "detailed", "source_seed", "source_lines", "catalogue", "schedule",
)  # fmt: skip


@dataclass
class PolicyData:
    documents: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    items: list[dict[str, Any]]


def tidy(text: str) -> str:
    """Drop the spaces YAML folding puts between lines of Chinese text; keep them between ASCII words."""
    return NON_ASCII_GAP.sub("", text.strip())


def jsonable(value: Any) -> Any:
    """YAML dates become ISO strings (so the value can live in a JSONField) and text is tidied."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return tidy(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def as_date(value: Any) -> date | None:
    """A YAML date or an ISO string as a date; None and "" stay None."""
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def cite(seed: str, lines: str) -> str:
    """ "003_32cd….txt", "299-303" → "003 L299-303"."""
    return f"{seed[:3]} L{lines}"


def _yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def read_data(data_dir: Path = DATA_DIR) -> PolicyData:
    """Read and check every data file; build the rows to write. Raises PolicySchemaError."""
    documents = _yaml(data_dir / "documents.yaml")
    codes = {doc["code"] for doc in documents}
    by_code = {doc["code"]: doc for doc in documents}
    for doc in documents:
        validate_document(jsonable(doc), codes)
        older = by_code.get(doc.get("supersedes") or "")
        if older and older.get("abolished_on") not in (None, doc.get("effective_from")):
            raise PolicySchemaError(f"{older['code']} abolished_on：应为废止它的 {doc['code']} 的施行日期")
        text = data_dir / "texts" / f"{doc['code']}.txt"
        doc["source_text"] = text.read_text(encoding="utf-8") if text.exists() else ""
    groups = _yaml(data_dir / "exclusivity_groups.yaml")
    group_of = _group_membership(groups)
    catalogue = json.loads((data_dir / "catalogue.json").read_text(encoding="utf-8"))
    detailed = _detailed_items(data_dir / "items")
    bureaus = _yaml(data_dir / "bureaus.yaml")
    periods = _yaml(data_dir / "item_periods.yaml") or {}
    items, problems = [], []
    for entry in catalogue:
        code = entry["id"]
        if entry["doc_ref"] not in codes:
            problems.append(f"{code} doc_ref：文件“{entry['doc_ref']}”不在 documents.yaml 中")
            continue
        if code in detailed:
            item = _from_detailed(detailed.pop(code), entry)
        else:
            item = _from_catalogue(entry, bureaus, periods.get(code) or {})
        if "stated_group" in item:
            stated = item.pop("stated_group")
            if stated != group_of.get(code):
                problems.append(
                    f"{code} exclusivity_group：写的是“{stated}”，但 exclusivity_groups.yaml 中为“{group_of.get(code)}”"
                )
        item["exclusivity_group"] = group_of.get(code)
        try:
            validate_item(item)
        except PolicySchemaError as error:
            problems.append(error.message)
        items.append(item)
    problems += [f"{code}：items/*.yaml 中的事项不在目录 catalogue.json 中" for code in detailed]
    if problems:
        raise PolicySchemaError("；\n".join(problems))
    return PolicyData(documents=documents, groups=groups, items=items)


def _group_membership(groups: list[dict[str, Any]]) -> dict[str, str]:
    member_of: dict[str, str] = {}
    for group in groups:
        for code in group.get("members") or []:
            if code in member_of:
                raise PolicySchemaError(f"{code} 同时属于同类政策组“{member_of[code]}”和“{group['code']}”")
            member_of[code] = group["code"]
    return member_of


def _detailed_items(folder: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = _yaml(path)
        common = data.get("common") or {}
        for raw in data["items"]:
            item = {key: common[key] for key in ITEM_DEFAULTS if key in common}
            item.update(raw)
            item["document_code"] = data["document"]
            item["source_seed"] = item.get("source_seed") or data["source_seed"]
            found[item["code"]] = item
    return found


def _from_detailed(item: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    if item["document_code"] != entry["doc_ref"]:
        raise PolicySchemaError(f"{item['code']} document：应为 {entry['doc_ref']}，与目录一致")
    row = {
        "code": item["code"],
        "document_code": item["document_code"],
        "name": item["name"],
        "description": tidy(str(item.get("description") or "")),
        "bureau_function": item.get("bureau_function"),
        "lead": item.get("lead") or entry["lead"],
        "beneficiary": item.get("beneficiary") or "企业",
        "review_departments": list(item.get("review_departments") or []),
        "materials": jsonable(item.get("materials") or []),
        "declared_fields": jsonable(item.get("declared_fields") or []),
        "eligibility": jsonable(item.get("eligibility") or []),
        "amount_rule": jsonable(item.get("amount_rule") or {}),
        "funding": jsonable(item.get("funding") or {}),
        "mode": item.get("mode") or "apply",
        "effective_from": as_date(item.get("effective_from")),
        "effective_to": as_date(item.get("effective_to")),
        "detailed": bool(item.get("detailed", True)),
        "source_seed": item["source_seed"],
        "source_lines": str(item.get("source_lines") or entry["lines"]),
        "catalogue": entry,
        "schedule": jsonable(item.get("schedule") or {}),
    }
    if "exclusivity_group" in item:
        row["stated_group"] = item["exclusivity_group"]
    return row


def _bureau(entry: dict[str, Any], bureaus: dict[str, Any]) -> tuple[str, str]:
    doc = entry["doc_ref"]
    first_line = int(str(entry["lines"]).replace(",", "-").split("-")[0])
    for span in (bureaus.get("by_line") or {}).get(doc) or []:
        if span["from"] <= first_line <= span["to"]:
            return span["function"], span["lead"]
    return bureaus["documents"][doc]["function"], entry["lead"]


def _from_catalogue(entry: dict[str, Any], bureaus: dict[str, Any], period: dict[str, Any]) -> dict[str, Any]:
    where = cite(entry["seed"], entry["lines"])
    function, lead = _bureau(entry, bureaus)
    conditions = [str(text) for text in entry.get("eligibility") or []]
    notes = f"备注：{entry['notes']}" if entry.get("notes") else ""
    description = (
        f"申报条件：{'；'.join(conditions) or '原文未列明'}。奖补标准：{describe(entry['amount_rule'])}。"
        f"{notes}（目录摘录，尚未完整编码；原文 {where}）"
    )
    schedule = dict(jsonable(period.get("schedule") or {}))
    window = entry.get("window") or {}
    if window and not schedule:
        schedule = {"window_from": window.get("from"), "window_to": window.get("to"), "cite": where}
        schedule = {key: value for key, value in schedule.items() if value}
    return {
        "code": entry["id"],
        "document_code": entry["doc_ref"],
        "name": entry["item"],
        "description": description,
        "bureau_function": function,
        "lead": lead[:128],
        "beneficiary": str(entry.get("beneficiary") or "企业")[:64],
        "review_departments": [],
        "materials": [
            {"kind": f"material_{i}", "label": label, "required": True, "source": where}
            for i, label in enumerate(entry.get("materials") or [], start=1)
        ],
        "declared_fields": [],
        "eligibility": [{"type": "text", "label": text, "text": text, "cite": where} for text in conditions],
        "amount_rule": entry["amount_rule"],
        "funding": {
            "city_percent": None,
            "district_percent": None,
            "district_pays_first": False,
            "basis": entry.get("funding") or "",
            "source": where,
        },
        "mode": "apply",
        "effective_from": as_date(period.get("effective_from")),
        "effective_to": as_date(period.get("effective_to")),
        "detailed": False,
        "source_seed": entry["seed"],
        "source_lines": str(entry["lines"]),
        "catalogue": entry,
        "schedule": schedule,
    }


def _upsert(model: Any, existing: dict[str, Any], code: str, values: dict[str, Any]) -> tuple[Any, str]:
    """Create, or update only the fields that differ (so a second load writes nothing).

    Returns the row and "created", "updated" or "unchanged".
    """
    obj = existing.get(code)
    if obj is None:
        obj = model(code=code, **values)
        obj.full_clean(validate_unique=False, validate_constraints=False)
        obj.save()
        return obj, "created"
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return obj, "unchanged"
    for name in changed:
        setattr(obj, name, values[name])
    obj.full_clean(validate_unique=False, validate_constraints=False)
    obj.save(update_fields=[*changed, "updated_at"])
    return obj, "updated"


@transaction.atomic
def load_all(*, data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """Load documents, exclusivity groups and items from policies/data/ (idempotent).

    Who calls: `manage.py load_policies`, `seed_demo`. Matches rows by code (P01, SP-029,
    group code) and updates only what changed; never deletes and never creates rounds.
    Returns {"documents": {...}, "groups": {...}, "items": {...}, "total_items": n, "detailed": n},
    each inner dict counting created/updated/unchanged rows. Raises PolicySchemaError (nothing
    written) if any data file is malformed.
    """
    data = read_data(data_dir)
    status: dict[str, dict[str, str]] = {"documents": {}, "groups": {}, "items": {}}
    docs = {d.code: d for d in PolicyDocument.objects.all()}
    for doc in data.documents:
        values = {name: doc.get(name) for name in DOCUMENT_FIELDS}
        for name in ("issued_on", "effective_from", "effective_to", "abolished_on"):
            values[name] = as_date(values[name])
        values["doc_no"] = values["doc_no"] or ""
        values["source_lines"] = str(values["source_lines"] or "")
        docs[doc["code"]], status["documents"][doc["code"]] = _upsert(PolicyDocument, docs, doc["code"], values)
    for doc in data.documents:
        if _link_supersedes(docs, doc) and status["documents"][doc["code"]] == "unchanged":
            status["documents"][doc["code"]] = "updated"
    groups = {g.code: g for g in ExclusivityGroup.objects.all()}
    for group in data.groups:
        values = {"name": group["name"], "description": tidy(f"{group['why']}（{group['cite']}）")}
        groups[group["code"]], status["groups"][group["code"]] = _upsert(
            ExclusivityGroup, groups, group["code"], values
        )
    items = {i.code: i for i in PolicyItem.objects.all()}
    for item in data.items:
        values = {name: item.get(name) for name in ITEM_FIELDS if name not in ("document", "exclusivity_group")}
        values["document"] = docs[item["document_code"]]
        values["exclusivity_group"] = groups[item["exclusivity_group"]] if item["exclusivity_group"] else None
        _, status["items"][item["code"]] = _upsert(PolicyItem, items, item["code"], values)
    counts: dict[str, Any] = {
        kind: {word: sum(1 for s in seen.values() if s == word) for word in ("created", "updated", "unchanged")}
        for kind, seen in status.items()
    }
    counts["total_items"] = len(data.items)
    counts["detailed"] = sum(1 for item in data.items if item["detailed"])
    return counts


def _link_supersedes(docs: dict[str, PolicyDocument], doc: dict[str, Any]) -> bool:
    """Point a document at the one it abolishes (同时废止) and date the abolition; True if changed."""
    newer = docs[doc["code"]]
    older_code = doc.get("supersedes")
    target = docs[older_code] if older_code else None
    changed = False
    if newer.supersedes_id != (target.pk if target else None):
        newer.supersedes = target
        newer.save(update_fields=["supersedes", "updated_at"])
        changed = True
    if target is not None and target.abolished_on is None and newer.effective_from:
        target.abolished_on = newer.effective_from
        target.save(update_fields=["abolished_on", "updated_at"])
    return changed
