#!/usr/bin/env python3
"""Checks rand-guard's OCSF and ECS records against the official schema
sources (not a copy, not a look-alike):

  validate.py ocsf SCHEMA_DIR FILE...   OCSF 1.8.0 source tree (events/,
                                        objects/, profiles/, dictionary.json)
  validate.py ecs  ECS_FLAT_YML FILE... ECS 9.4.0 ecs_flat.yml

Each FILE holds NDJSON records. For OCSF, every record's class is resolved
through its `extends` chain and `$include`d profiles; the checks are:
class_uid/category_uid/activity_id/type_uid consistency, every attribute
the class (and what it extends) or an object marks required is present and
not null, every attribute is one the class or object defines, every value
has the type dictionary.json gives it (arrays, objects recursively, the
regex and range of scalar types), `_id` enum values the schema lists, and
objects' `at_least_one` constraints. For ECS: every field name (flattened)
is in ecs_flat.yml or under `rand_guard.`, every value has the field's type,
arrays only where ECS normalizes to an array, allowed values of the
categorization fields, and `@timestamp` is present.

Prints one line per problem (file:line: path: problem) and a summary line
per class or event type; exits 1 on any problem.
"""

import ipaddress
import json
import os
import re
import sys
from collections import Counter


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def includes(attrs):
    inc = attrs.get("$include", [])
    return [inc] if isinstance(inc, str) else inc


class Ocsf:
    def __init__(self, root):
        self.root = root
        d = load(os.path.join(root, "dictionary.json"))
        self.dict = d["attributes"]
        self.types = d["types"]["attributes"]
        self.categories = {k: v["uid"] for k, v in load(os.path.join(root, "categories.json"))["attributes"].items()}
        self.classes = {}
        for dirpath, _, files in os.walk(os.path.join(root, "events")):
            for f in files:
                if f.endswith(".json"):
                    c = load(os.path.join(dirpath, f))
                    self.classes[c["name"]] = c
        self.objects = {}
        for f in os.listdir(os.path.join(root, "objects")):
            if f.endswith(".json"):
                o = load(os.path.join(root, "objects", f))
                self.objects[o["name"]] = o
        self.by_uid = {}
        for name in self.classes:
            r = self.resolve_class(name)
            self.by_uid[r["class_uid"]] = r
        self.observable_ids = {0, 99}
        for t in self.types.values():
            if "observable" in t:
                self.observable_ids.add(t["observable"])
        for src in (self.dict.values(), self.objects.values()):
            for a in src:
                if isinstance(a, dict) and "observable" in a:
                    self.observable_ids.add(a["observable"])

    @staticmethod
    def overlay(base, top):
        """`top` over `base`; enums add up, as the OCSF compiler merges them
        (the dictionary's 0 Unknown / 99 Other plus a class's own values)."""
        out = {**base, **top}
        if "enum" in base and "enum" in top:
            out["enum"] = {**base["enum"], **top["enum"]}
        return out

    def merge(self, into, attrs):
        for k, v in attrs.items():
            if k == "$include":
                continue
            into[k] = self.overlay(into.get(k, {}), v)

    def profile_attrs(self, rel):
        return load(os.path.join(self.root, rel)).get("attributes", {})

    def with_includes(self, attrs):
        out = {}
        for inc in includes(attrs):
            # A profile's attributes join as optional: OCSF profiles are
            # opt-in (an event names the ones it uses in metadata.profiles),
            # and rand-guard's records use none.
            for k, v in self.profile_attrs(inc).items():
                if k != "$include":
                    out[k] = {**v, "requirement": "optional"}
        self.merge(out, attrs)
        return out

    def resolve_class(self, name):
        c = self.classes[name]
        attrs = {}
        chain = []
        if c.get("extends"):
            parent = self.resolve_class(c["extends"])
            attrs = {k: dict(v) for k, v in parent["attributes"].items()}
            chain = parent["chain"]
            category = c.get("category", parent["category"])
        else:
            category = c.get("category")
        self.merge(attrs, self.with_includes(c.get("attributes", {})))
        cat_uid = self.categories.get(category, 0) if category else 0
        uid = c.get("uid", 0)
        return {
            "name": name,
            "chain": chain + [name],
            "category": category,
            "category_uid": cat_uid,
            "class_uid": cat_uid * 1000 + uid if category else uid,
            "attributes": attrs,
            "constraints": c.get("constraints", {}),
        }

    def resolve_object(self, name):
        o = self.objects[name]
        attrs = {}
        cons = {}
        if o.get("extends"):
            p = self.resolve_object(o["extends"])
            attrs = {k: dict(v) for k, v in p["attributes"].items()}
            cons = dict(p["constraints"])
        self.merge(attrs, self.with_includes(o.get("attributes", {})))
        if o.get("constraints"):
            cons = o["constraints"]
        return {"name": name, "attributes": attrs, "constraints": cons}

    def attr_def(self, name, local):
        return self.overlay(self.dict.get(name, {}), local)

    def check_scalar(self, t, v, path, errs):
        spec = self.types.get(t)
        if spec is None:
            errs.append(f"{path}: unknown type {t}")
            return
        base = spec.get("type", t)
        if t == "json_t":
            return
        if base == "string_t" or t == "string_t":
            if not isinstance(v, str):
                errs.append(f"{path}: {t} wants a string, got {json.dumps(v)[:60]}")
                return
            if t == "ip_t":
                try:
                    ipaddress.ip_address(v)
                except ValueError:
                    errs.append(f"{path}: {v!r} is not an ip_t")
            elif spec.get("regex") and not re.search(spec["regex"], v):
                errs.append(f"{path}: {v!r} does not match the regex of {t}")
        elif t in ("integer_t", "long_t", "timestamp_t", "port_t") or base in ("integer_t", "long_t"):
            if not isinstance(v, int) or isinstance(v, bool):
                errs.append(f"{path}: {t} wants an integer, got {json.dumps(v)[:60]}")
                return
            lo, hi = spec.get("range", [None, None])
            if lo is not None and not lo <= v <= hi:
                errs.append(f"{path}: {v} is outside the range of {t}")
            if t == "integer_t" and not -(2**31) <= v < 2**31:
                errs.append(f"{path}: {v} does not fit integer_t")
        elif t == "float_t":
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                errs.append(f"{path}: float_t wants a number")
        elif t == "boolean_t":
            if not isinstance(v, bool):
                errs.append(f"{path}: boolean_t wants true or false")
        else:
            errs.append(f"{path}: no check for type {t}")

    def check_value(self, adef, v, path, errs):
        t = adef.get("type")
        if t is None:
            errs.append(f"{path}: the dictionary gives no type")
            return
        if adef.get("is_array"):
            if not isinstance(v, list):
                errs.append(f"{path}: wants an array")
                return
            for i, item in enumerate(v):
                self.check_one(adef, t, item, f"{path}[{i}]", errs)
        else:
            if isinstance(v, list):
                errs.append(f"{path}: is not an array attribute")
                return
            self.check_one(adef, t, v, path, errs)

    def check_one(self, adef, t, v, path, errs):
        if t.endswith("_t"):
            self.check_scalar(t, v, path, errs)
            enum = adef.get("enum")
            # an observable's type_id is any observable type (check_object)
            observable = re.search(r"observables\[\d+\]\.type_id$", path)
            if enum and path.endswith("_id") and not observable and str(v) not in enum:
                errs.append(f"{path}: {v} is not in the enum ({', '.join(enum)})")
        elif t == "object":
            if not isinstance(v, dict):
                errs.append(f"{path}: wants an object")
        else:
            if not isinstance(v, dict):
                errs.append(f"{path}: wants a {t} object")
                return
            self.check_object(self.resolve_object(t), v, path, errs)

    def check_attrs(self, attrs, constraints, rec, path, errs):
        for k, a in attrs.items():
            if a.get("requirement") == "required" and rec.get(k) is None:
                errs.append(f"{path}{k}: required, missing")
        for k, v in rec.items():
            if k not in attrs:
                errs.append(f"{path}{k}: not an attribute here")
                continue
            if v is None:
                errs.append(f"{path}{k}: null (leave the attribute out instead)")
                continue
            self.check_value(self.attr_def(k, attrs[k]), v, f"{path}{k}", errs)
        one = constraints.get("at_least_one")
        if one and not any(rec.get(k) is not None for k in one):
            errs.append(f"{path or '(event)'}: needs at least one of {', '.join(one)}")
        one = constraints.get("just_one")
        if one and sum(rec.get(k) is not None for k in one) != 1:
            errs.append(f"{path or '(event)'}: needs exactly one of {', '.join(one)}")

    def check_object(self, obj, rec, path, errs):
        self.check_attrs(obj["attributes"], obj["constraints"], rec, path + ".", errs)
        if obj["name"] == "observable" and rec.get("type_id") not in self.observable_ids:
            errs.append(f"{path}.type_id: {rec.get('type_id')} is not an observable type")

    def check_event(self, rec):
        errs = []
        cls = self.by_uid.get(rec.get("class_uid"))
        if cls is None:
            return f"class {rec.get('class_uid')}", [f"class_uid: {rec.get('class_uid')} is no OCSF class"]
        if rec.get("category_uid") != cls["category_uid"]:
            errs.append(f"category_uid: {rec.get('category_uid')}, the class says {cls['category_uid']}")
        act = rec.get("activity_id")
        enum = cls["attributes"].get("activity_id", {}).get("enum", {})
        if str(act) not in enum:
            errs.append(f"activity_id: {act} is not an activity of {cls['name']}")
        if rec.get("type_uid") != cls["class_uid"] * 100 + (act if isinstance(act, int) else 0):
            errs.append(f"type_uid: {rec.get('type_uid')} is not class_uid * 100 + activity_id")
        name = enum.get(str(act), {}).get("caption")
        if name and act != 99 and rec.get("activity_name") != name:
            errs.append(f"activity_name: {rec.get('activity_name')!r}, the schema says {name!r}")
        self.check_attrs(cls["attributes"], cls["constraints"], rec, "", errs)
        for i, o in enumerate(rec.get("observables") or []):
            if isinstance(o, dict) and o.get("name") and not self.resolves(rec, o["name"], o.get("value")):
                errs.append(f"observables[{i}].name: {o['name']!r} does not name a value {o.get('value')!r} in the event")
        return f"{cls['class_uid']} {cls['name']} activity {act}", errs

    @staticmethod
    def resolves(rec, dotted, value):
        cur = [rec]
        for part in dotted.split("."):
            nxt = []
            for c in cur:
                if isinstance(c, list):
                    c = [x.get(part) for x in c if isinstance(x, dict)]
                    nxt.extend(c)
                elif isinstance(c, dict) and part in c:
                    nxt.append(c[part])
            cur = [x for x in nxt if x is not None]
        flat = []
        for c in cur:
            flat.extend(c if isinstance(c, list) else [c])
        return any(str(c) == str(value) for c in flat)


class Ecs:
    def __init__(self, path):
        import yaml

        with open(path, encoding="utf-8") as f:
            self.fields = yaml.safe_load(f)

    def check_type(self, name, f, v, errs):
        t = f["type"]
        if t in ("keyword", "wildcard", "text", "match_only_text", "constant_keyword"):
            ok = isinstance(v, str)
        elif t in ("long", "integer", "short", "byte", "unsigned_long"):
            ok = isinstance(v, int) and not isinstance(v, bool)
            if ok and t == "unsigned_long" and v < 0:
                ok = False
        elif t in ("float", "double", "scaled_float", "half_float"):
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        elif t == "boolean":
            ok = isinstance(v, bool)
        elif t == "date":
            ok = isinstance(v, str) and re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", v)
        elif t == "ip":
            try:
                ipaddress.ip_address(v)
                ok = True
            except (ValueError, TypeError):
                ok = False
        elif t in ("object", "flattened", "nested"):
            ok = isinstance(v, dict)
        else:
            errs.append(f"{name}: no check for ECS type {t}")
            return
        if not ok:
            errs.append(f"{name}: {json.dumps(v)[:60]} is not a valid {t}")
            return
        allowed = f.get("allowed_values")
        if allowed and v not in [a["name"] for a in allowed]:
            errs.append(f"{name}: {v!r} is not an allowed value")

    def walk(self, prefix, v, errs):
        if prefix == "rand_guard" or prefix.startswith("rand_guard."):
            return
        f = self.fields.get(prefix)
        if f is not None and f["type"] not in ("object", "flattened", "nested") or (f is None and not isinstance(v, dict)):
            if f is None:
                errs.append(f"{prefix}: not an ECS field (put it under rand_guard.)")
                return
            if isinstance(v, list):
                if "array" not in f.get("normalize", []):
                    errs.append(f"{prefix}: ECS does not make this field an array")
                for item in v:
                    self.check_type(prefix, f, item, errs)
            elif v is None:
                errs.append(f"{prefix}: null (leave the field out instead)")
            else:
                self.check_type(prefix, f, v, errs)
            return
        if f is not None and f["type"] in ("object", "flattened") and not isinstance(v, dict):
            errs.append(f"{prefix}: wants an object")
            return
        for k, sub in v.items():
            self.walk(f"{prefix}.{k}" if prefix else k, sub, errs)

    @staticmethod
    def get(rec, dotted):
        """The value at `dotted`, nested or flat ("@timestamp", "ecs.version")."""
        if dotted in rec:
            return rec[dotted]
        cur = rec
        for part in dotted.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return None
            cur = cur[part]
        return cur

    def check_event(self, rec):
        errs = []
        for k, f in self.fields.items():
            if f.get("required") and self.get(rec, k) is None:
                errs.append(f"{k}: required, missing")
        self.walk("", rec, errs)
        ev = rec.get("event", {})
        return f"{ev.get('kind')} {ev.get('action')}", errs


def main(argv):
    if len(argv) < 4 or argv[1] not in ("ocsf", "ecs"):
        print(__doc__, file=sys.stderr)
        return 2
    checker = Ocsf(argv[2]) if argv[1] == "ocsf" else Ecs(argv[2])
    seen = Counter()
    bad = 0
    for path in argv[3:]:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    print(f"{path}:{n}: not JSON: {e}")
                    bad += 1
                    continue
                what, errs = checker.check_event(rec)
                seen[what] += 1
                for e in errs:
                    print(f"{path}:{n}: {what}: {e}")
                bad += len(errs)
    for what, count in sorted(seen.items()):
        print(f"checked {count} x {what}")
    print(f"{sum(seen.values())} records, {bad} problems")
    return 1 if bad or not seen else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
