#!/usr/bin/env python3
"""Extracts the schema facts auditstream's ECS and OCSF views are checked
against (testdata/schemas/) and the Auditbeat event.action vocabulary its ECS
view uses (tools/gen-tables/data/ecs_normalizations.tsv), from checkouts of
the published sources. Facts only: field names, types, levels, requirements,
enum values and their captions; no description text, no code.

    python3 tools/schemas/extract.py \\
        --ecs ECS_CHECKOUT --ocsf OCSF_CHECKOUT --libaudit GO_LIBAUDIT_CHECKOUT

ECS_CHECKOUT is elastic/ecs at a release tag (reads generated/csv/fields.csv
and generated/ecs/ecs_flat.yml), OCSF_CHECKOUT is ocsf/ocsf-schema at a release
tag (reads version.json, dictionary.json, categories.json, events/, objects/,
profiles/), GO_LIBAUDIT_CHECKOUT is elastic/go-libaudit (reads
aucoalesce/normalizations.yaml). Needs Python 3.8+ and PyYAML. The output is
deterministic: the same inputs give the same bytes. See
testdata/schemas/SOURCES.md for the versions checked in.
"""

import argparse
import csv
import json
import os
import sys

import yaml

# The OCSF event classes the views write: Base Event (everything else),
# Process Activity, Network Activity.
OCSF_CLASSES = ["base_event", "process_activity", "network_activity"]


# ---- ECS ---------------------------------------------------------------------


def ecs(checkout, out_dir):
    src = os.path.join(checkout, "generated/csv/fields.csv")
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    version = rows[0]["ECS_Version"]
    fields_out = os.path.join(out_dir, f"ecs-{version}-fields.csv")
    with open(fields_out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Field", "Type", "Level", "Normalization"])
        for r in sorted(rows, key=lambda r: r["Field"]):
            w.writerow([r["Field"], r["Type"], r["Level"], r["Normalization"]])

    with open(os.path.join(checkout, "generated/ecs/ecs_flat.yml"), encoding="utf-8") as f:
        flat = yaml.safe_load(f)
    allowed_out = os.path.join(out_dir, f"ecs-{version}-allowed-values.tsv")
    with open(allowed_out, "w", encoding="utf-8") as f:
        f.write("# field\tallowed value\texpected event.type values (event.category only)\n")
        for name in sorted(flat):
            for a in flat[name].get("allowed_values") or []:
                expected = ",".join(a.get("expected_event_types") or [])
                f.write(f"{name}\t{a['name']}\t{expected}\n")
    return version


# ---- OCSF --------------------------------------------------------------------


def load(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return json.load(f)


def merge(base, over):
    """Deep merge: dicts merge key by key, anything else is replaced."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def own_attributes(root, doc):
    """A class's or object's attributes with its `$include`s merged under them;
    attributes that come from a profile carry `profile` = the profile name."""
    attrs = {}
    for inc in doc.get("attributes", {}).get("$include", []):
        inc_doc = load(root, inc)
        for name, a in inc_doc.get("attributes", {}).items():
            a = dict(a)
            if inc_doc.get("meta") == "profile":
                a.setdefault("profile", inc_doc["name"])
            attrs[name] = merge(attrs.get(name, {}), a)
    for name, a in doc.get("attributes", {}).items():
        if name != "$include":
            attrs[name] = merge(attrs.get(name, {}), a)
    return attrs


def index(root, folder):
    out = {}
    for dirpath, _, files in os.walk(os.path.join(root, folder)):
        for fn in files:
            if fn.endswith(".json"):
                rel = os.path.relpath(os.path.join(dirpath, fn), root)
                doc = load(root, rel)
                out[doc["name"]] = doc
    return out


def resolve(root, docs, name):
    """Attributes and constraints of `name` after its `extends` chain."""
    doc = docs[name]
    attrs, constraints = {}, {}
    if doc.get("extends"):
        attrs, constraints = resolve(root, docs, doc["extends"])
    mine = own_attributes(root, doc)
    for k, a in mine.items():
        attrs[k] = merge(attrs.get(k, {}), a)
    if "constraints" in doc:
        constraints = doc["constraints"]
    return attrs, constraints


def enum_order(k):
    return (0, int(k), "") if k.lstrip("-").isdigit() else (1, 0, k)


def attr_row(owner, name, a, dictionary):
    d = dictionary.get(name, {})
    full = merge(d, a)
    typ = full.get("type", "")
    is_array = "1" if full.get("is_array") else "0"
    req = full.get("requirement") or "optional"
    profile = full.get("profile") or "-"
    enum = full.get("enum") or {}
    enum_s = "|".join(
        f"{k}={enum[k].get('caption', '')}" for k in sorted(enum, key=enum_order)
    )
    sibling = full.get("sibling") or "-"
    return f"attr\t{owner}\t{name}\t{typ}\t{is_array}\t{req}\t{profile}\t{sibling}\t{enum_s or '-'}\n"


def constraint_rows(owner, c):
    rows = ""
    for kind in sorted(c):
        rows += f"constraint\t{owner}\t{kind}\t{','.join(c[kind])}\n"
    return rows


def ocsf(root, out_dir):
    version = load(root, "version.json")["version"]
    dictionary = load(root, "dictionary.json")
    dattrs = dictionary["attributes"]
    types = dictionary["types"]["attributes"]
    categories = load(root, "categories.json")["attributes"]
    events = index(root, "events")
    objects = index(root, "objects")

    lines = [f"# OCSF {version}: classes, objects and types (see SOURCES.md)\n"]
    lines.append("# class\tclass_uid\tname\tcaption\tcategory_uid\tcategory caption\n")
    lines.append("# attr\towner\tname\ttype\tis_array\trequirement\tprofile\tsibling\tenum (id=caption|...)\n")
    lines.append("# constraint\towner\tkind\tattributes\n")
    lines.append("# object\tname\n")
    lines.append("# type\tname\tbase type\trange\tmax_len\n")

    wanted_objects = set()

    def note_objects(attrs):
        for name, a in attrs.items():
            t = merge(dattrs.get(name, {}), a).get("type", "")
            if t in objects:
                wanted_objects.add(t)

    for cname in OCSF_CLASSES:
        doc = events[cname]
        attrs, constraints = resolve(root, events, cname)
        cat = None
        d = doc
        while d is not None:
            if "category" in d:
                cat = d["category"]
                break
            d = events.get(d.get("extends"))
        cat_uid = categories[cat]["uid"] if cat in categories else 0
        cat_caption = categories[cat]["caption"] if cat in categories else "Uncategorized"
        class_uid = cat_uid * 1000 + doc.get("uid", 0) if cat in categories else 0
        lines.append(
            f"class\t{class_uid}\t{cname}\t{doc['caption']}\t{cat_uid}\t{cat_caption}\n"
        )
        owner = f"class:{class_uid}"
        # As the OCSF server compiles a class: class_uid and category_uid
        # name this class and category only, type_uid is class_uid * 100 +
        # activity_id.
        attrs["class_uid"] = dict(attrs["class_uid"], enum={str(class_uid): {"caption": doc["caption"]}})
        attrs["category_uid"] = dict(
            attrs["category_uid"], enum={str(cat_uid): {"caption": cat_caption}}
        )
        activities = merge(dattrs["activity_id"], attrs["activity_id"])["enum"]
        attrs["type_uid"] = dict(
            attrs["type_uid"],
            enum={
                str(class_uid * 100 + int(k)): {"caption": f"{doc['caption']}: {v['caption']}"}
                for k, v in activities.items()
            },
        )
        for name in sorted(attrs):
            lines.append(attr_row(owner, name, attrs[name], dattrs))
        lines.append(constraint_rows(owner, constraints))
        note_objects(attrs)

    # every object reachable from the classes
    done = set()
    while wanted_objects - done:
        for oname in sorted(wanted_objects - done):
            done.add(oname)
            attrs, constraints = resolve(root, objects, oname)
            lines.append(f"object\t{oname}\n")
            owner = f"object:{oname}"
            for name in sorted(attrs):
                lines.append(attr_row(owner, name, attrs[name], dattrs))
            lines.append(constraint_rows(owner, constraints))
            note_objects(attrs)

    for tname in sorted(types):
        t = types[tname]
        rng = t.get("range")
        rng_s = f"{rng[0]}..{rng[1]}" if rng else "-"
        lines.append(f"type\t{tname}\t{t.get('type', tname)}\t{rng_s}\t{t.get('max_len', '-')}\n")

    with open(os.path.join(out_dir, f"ocsf-{version}.tsv"), "w", encoding="utf-8") as f:
        f.write("".join(lines))
    return version


# ---- Auditbeat's event.action vocabulary (go-libaudit) -----------------------


def as_list(v):
    if v is None:
        return []
    if isinstance(v, list):
        return [str(x) for x in v]
    return [str(v)]


def libaudit(checkout, tables_dir):
    with open(os.path.join(checkout, "aucoalesce/normalizations.yaml"), encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    rows = []
    for n in doc["normalizations"]:
        e = n.get("ecs") or {}
        kind = e.get("kind") or "-"
        cats = ",".join(as_list(e.get("category"))) or "-"
        types = ",".join(as_list(e.get("type"))) or "-"
        action = n.get("action") or "-"
        has = ",".join(as_list((n.get("has_fields") or None))) or "-"
        for s in as_list(n.get("syscalls")):
            rows.append(("syscall", s, action, kind, cats, types, has))
        for r in as_list(n.get("record_types")):
            rows.append(("record", r, action, kind, cats, types, has))
    out = os.path.join(tables_dir, "ecs_normalizations.tsv")
    with open(out, "w", encoding="utf-8") as f:
        f.write(
            "# Auditbeat's normalizations (elastic/go-libaudit aucoalesce/normalizations.yaml),\n"
            "# written by tools/schemas/extract.py; see SOURCES.md. In file order.\n"
            "# by\tname\tevent.action\tevent.kind\tevent.category\tevent.type\thas_fields\n"
        )
        for r in rows:
            f.write("\t".join(r) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ecs", required=True)
    p.add_argument("--ocsf", required=True)
    p.add_argument("--libaudit", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    p.add_argument("--out", default=os.path.join(root, "testdata/schemas"))
    p.add_argument("--tables", default=os.path.join(root, "tools/gen-tables/data"))
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    ev = ecs(a.ecs, a.out)
    ov = ocsf(a.ocsf, a.out)
    libaudit(a.libaudit, a.tables)
    print(f"ECS {ev}, OCSF {ov}: written to {a.out}; vocabulary to {a.tables}", file=sys.stderr)


if __name__ == "__main__":
    main()
