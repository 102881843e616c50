#!/usr/bin/env python3
"""Generates Sources/WardenAPI/<Namespace>/*.swift from the pinned botocore service models.

Run: scripts/codegen/generate.py  (needs the botocore version named in services.json).
Patches in scripts/codegen/patches/<service>.json are deep-merged into the model first; fix model
quirks there, never in the output. Documentation strings are not carried over.
"""
import glob, gzip, json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
    "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct",
    "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do", "else", "fallthrough",
    "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while", "as", "Any", "catch", "false",
    "is", "nil", "super", "self", "Self", "throw", "throws", "true", "try", "Type", "Protocol",
}


def deep_merge(base, patch):
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_merge(base[k], v)
        elif v is None:
            base.pop(k, None)
        else:
            base[k] = v
    return base


def lower_camel(name):
    m = re.match(r"^([A-Z]+)(?=[A-Z][a-z]|[0-9]|$)", name)
    if m and len(m.group(1)) > 1:
        head = m.group(1)
        out = head.lower() + name[len(head):]
    else:
        out = name[:1].lower() + name[1:]
    out = re.sub(r"[^A-Za-z0-9_]", "_", out)
    return f"`{out}`" if out in SWIFT_KEYWORDS else out


def enum_case(value):
    parts = re.split(r"[^A-Za-z0-9]+", value)
    parts = [p for p in parts if p]
    if not parts:
        return "_empty"
    ident = parts[0][:1].lower() + parts[0][1:] if not parts[0].isupper() else parts[0].lower()
    ident += "".join(p[:1].upper() + (p[1:].lower() if p.isupper() else p[1:]) for p in parts[1:])
    if ident[0].isdigit():
        ident = "_" + ident
    return f"`{ident}`" if ident in SWIFT_KEYWORDS else ident


def swift_string(s):
    hashes = "#"
    while f'"{hashes}' in s:
        hashes += "#"
    return f'{hashes}"{s}"{hashes}'


def reachable(model):
    """The shapes the model's operations reach: inputs, outputs, errors, and everything they contain."""
    shapes, seen, todo = model["shapes"], set(), []
    for op in model["operations"].values():
        for part in ("input", "output"):
            if part in op:
                todo.append(op[part]["shape"])
        todo += [e["shape"] for e in op.get("errors", [])]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        s = shapes[n]
        refs = [m["shape"] for m in s.get("members", {}).values()]
        refs += [s[k]["shape"] for k in ("member", "key", "value") if k in s]
        todo += refs
    return {n: shapes[n] for n in shapes if n in seen}


def icu_pattern(p):
    # The models write Java-style \\uXXXXX for code points above U+FFFF; ICU wants \\x{XXXXX}.
    return re.sub(r"\\u([0-9A-Fa-f]{5,6})", lambda m: "\\x{" + m.group(1) + "}", p)


def num(v):
    return repr(float(v)) if isinstance(v, float) and not v.is_integer() else str(int(v))


class Gen:
    def __init__(self, ns, model, botocore_version, operations=None):
        self.ns = ns
        self.all_operations = list(model["operations"])
        if operations:
            # Only the operations Warden serves, and the shapes they reach (a large model compiles slowly).
            missing = [o for o in operations if o not in model["operations"]]
            if missing:
                raise SystemExit(f"{ns}: no such operations {missing}")
            model = dict(model, operations={o: model["operations"][o] for o in operations})
            model["shapes"] = reachable(model)
        self.model = model
        self.shapes = model["shapes"]
        self.version = botocore_version

    def is_enum(self, name):
        s = self.shapes[name]
        return s["type"] == "string" and "enum" in s

    def is_struct(self, name):
        s = self.shapes[name]
        return s["type"] == "structure" and not s.get("exception")

    def swift_type(self, name):
        s = self.shapes[name]
        t = s["type"]
        if t == "string":
            return f"{self.ns}.{name}" if "enum" in s else "String"
        if t == "integer":
            return "Int"
        if t == "long":
            return "Int64"
        if t == "boolean":
            return "Bool"
        if t in ("double", "float"):
            return "Double"
        if t == "timestamp":
            return "Date"
        if t == "blob":
            return "[UInt8]"
        if t == "list":
            return f"[{self.swift_type(s['member']['shape'])}]"
        if t == "map":
            return f"[String: {self.swift_type(s['value']['shape'])}]"
        if t == "structure":
            return f"{self.ns}.{name}"
        raise ValueError(t)

    def from_expr(self, name, v, depth=0):
        s = self.shapes[name]
        t = s["type"]
        e = f"e{depth}"
        if t == "string":
            return f"{self.ns}.{name}(rawValue: try AWSDecode.string({v}))" if "enum" in s else f"try AWSDecode.string({v})"
        simple = {"integer": "int", "long": "long", "boolean": "bool", "double": "double", "float": "double",
                  "timestamp": "date", "blob": "blob"}
        if t in simple:
            return f"try AWSDecode.{simple[t]}({v})"
        if t == "list":
            inner = self.from_expr(s["member"]["shape"], e, depth + 1)
            return f"try AWSDecode.list({v}) {{ {e} in {inner} }}"
        if t == "map":
            inner = self.from_expr(s["value"]["shape"], e, depth + 1)
            return f"try AWSDecode.map({v}) {{ {e} in {inner} }}"
        return f"try {self.ns}.{name}(from: {v})"

    def to_expr(self, name, x, depth=0):
        s = self.shapes[name]
        t = s["type"]
        e = f"e{depth}"
        if t == "string":
            return f".string({x}.rawValue)" if "enum" in s else f".string({x})"
        if t == "integer":
            return f".integer(Int64({x}))"
        if t == "long":
            return f".integer({x})"
        if t == "boolean":
            return f".boolean({x})"
        if t in ("double", "float"):
            return f".double({x})"
        if t == "timestamp":
            return f".timestamp({x})"
        if t == "blob":
            return f".blob({x})"
        if t == "list":
            return f".list({x}.map {{ {e} in {self.to_expr(s['member']['shape'], e, depth + 1)} }})"
        if t == "map":
            return f".map({x}.mapValues {{ {e} in {self.to_expr(s['value']['shape'], e, depth + 1)} }})"
        return f"{x}.toValue()"

    def member_ctor(self, mname, ref, required=False):
        args = [swift_string(mname)]
        if "locationName" in ref:
            args.append(f"locationName: {swift_string(ref['locationName'])}")
        if "location" in ref:
            args.append(f"location: .{ref['location']}")
        if required:
            args.append("required: true")
        if ref.get("flattened"):
            args.append("flattened: true")
        if ref.get("idempotencyToken"):
            args.append("idempotencyToken: true")
        args.append(f"shape: {{ {self.ns}.Shapes.`{ref['shape']}` }}")
        return f"Member({', '.join(args)})"

    def shape_decl(self, name):
        s = self.shapes[name]
        t = s["type"]
        args = [f"name: {swift_string(name)}", f"kind: .{t}"]
        if t == "structure":
            req = set(s.get("required", []))
            members = [self.member_ctor(m, ref, m in req) for m, ref in s.get("members", {}).items()]
            if members:
                args.append("members: [\n            " + ",\n            ".join(members) + ",\n        ]")
        if t == "list":
            args.append(f"member: {self.member_ctor('member', s['member'])}")
        if t == "map":
            args.append(f"key: {self.member_ctor('key', s['key'])}")
            args.append(f"value: {self.member_ctor('value', s['value'])}")
        if "min" in s:
            args.append(f"min: {num(s['min'])}")
        if "max" in s:
            args.append(f"max: {num(s['max'])}")
        if "enum" in s:
            args.append("enumValues: [" + ", ".join(swift_string(v) for v in s["enum"]) + "]")
        if "enumMessageOrder" in s:
            # Our patch key: the order AWS lists the values in its validation message, where a recorded response
            # shows it (neither the model's order nor sorted).
            args.append("enumMessageOrder: [" + ", ".join(swift_string(v) for v in s["enumMessageOrder"]) + "]")
        if "pattern" in s:
            args.append(f"pattern: {swift_string(icu_pattern(s['pattern']))}")
        if s.get("sensitive"):
            args.append("sensitive: true")
        if s.get("flattened"):
            args.append("flattened: true")
        if "timestampFormat" in s:
            args.append(f"timestampFormat: {swift_string(s['timestampFormat'])}")
        if "payload" in s:
            args.append(f"payload: {swift_string(s['payload'])}")
        return f"    public static let `{name}` = Shape(\n        " + ",\n        ".join(args) + "\n    )"

    def struct_decl(self, name):
        s = self.shapes[name]
        members = s.get("members", {})
        req = set(s.get("required", []))
        lines = [f"    public struct {name}: AWSShape {{",
                 f"        public static var shape: Shape {{ {self.ns}.Shapes.`{name}` }}"]
        props, params, assigns, reads, writes = [], [], [], [], []
        for m, ref in members.items():
            prop = lower_camel(m)
            bare = prop.strip("`")
            typ = self.swift_type(ref["shape"])
            optional = m not in req
            props.append(f"        public var {prop}: {typ}{'?' if optional else ''}")
            params.append(f"{prop}: {typ}{'? = nil' if optional else ''}")
            # `prop` keeps its backticks where the member name is a Swift keyword (`protocol`).
            assigns.append(f"            self.{bare} = {prop}")
            conv = self.from_expr(ref["shape"], "v")
            if optional:
                reads.append(f"        self.{bare} = try fields.raw({swift_string(m)}).map {{ v in {conv} }}")
                writes.append(f"        if let x = {prop} {{ b.set({swift_string(m)}, {self.to_expr(ref['shape'], 'x')}) }}")
            else:
                reads.append(f"        guard let v = fields.raw({swift_string(m)}) else {{ throw AWSDecode.missing({swift_string(m)}) }}")
                reads.append(f"        self.{bare} = {conv}")
                writes.append(f"        b.set({swift_string(m)}, {self.to_expr(ref['shape'], prop)})")
        lines += props
        lines.append(f"        public init({', '.join(params)}) {{")
        lines += assigns
        lines.append("        }")
        lines.append("        public init(from value: AWSValue) throws {")
        if reads:
            lines.append("            let fields = try AWSFields(value)")
            lines += ["    " + r for r in reads]
        lines.append("        }")
        lines.append("        public func toValue() -> AWSValue {")
        lines.append(f"            {'var' if writes else 'let'} b = AWSFieldsBuilder()")
        lines += ["    " + w for w in writes]
        lines.append("            return b.value")
        lines.append("        }")
        lines.append("    }")
        return "\n".join(lines)

    def enum_decl(self, name):
        s = self.shapes[name]
        lines = [f"    public struct {name}: RawRepresentable, Sendable, Hashable {{",
                 "        public let rawValue: String",
                 "        public init(rawValue: String) { self.rawValue = rawValue }"]
        seen = set()
        for v in s["enum"]:
            c = enum_case(v)
            if c in seen:
                continue
            seen.add(c)
            lines.append(f"        public static let {c} = {name}(rawValue: {swift_string(v)})")
        lines.append("    }")
        return "\n".join(lines)

    def header(self):
        return (f"// GENERATED by scripts/codegen/generate.py from botocore {self.version} — do not edit.\n"
                "import Foundation\nimport WardenCore\n")

    def files(self):
        meta = self.model["metadata"]
        ns = self.ns
        shape_names = sorted(self.shapes)
        out = {}
        out["Shapes.swift"] = self.header() + f"\nextension {ns} {{\n    /// The model's shapes, as the codecs and validation see them.\n    public enum Shapes {{}}\n}}\n\nextension {ns}.Shapes {{\n" + \
            "\n".join(self.shape_decl(n) for n in shape_names) + "\n}\n"
        out["Types.swift"] = self.header() + f"\nextension {ns} {{\n" + \
            "\n\n".join(self.struct_decl(n) for n in shape_names if self.is_struct(n)) + "\n}\n"
        enums = [self.enum_decl(n) for n in shape_names if self.is_enum(n)]
        out["Enums.swift"] = self.header() + f"\nextension {ns} {{\n" + "\n\n".join(enums) + "\n}\n"
        # Errors: every exception shape with its code and status.
        errs = []
        for n in shape_names:
            s = self.shapes[n]
            if not s.get("exception"):
                continue
            err = s.get("error", {})
            code = err.get("code", n)
            # JSON models often carry no `error` block; `fault: true` then marks a server-side (500) error.
            status = err.get("httpStatusCode", 500 if s.get("fault") else 400)
            sender = "true" if err.get("senderFault", status < 500) else "false"
            qc = f"{swift_string(code)}" if code != n else "nil"
            errs.append(f"        public static func {lower_camel(n)}(_ message: String) -> AWSError {{\n"
                        f"            AWSError(code: {swift_string(n)}, queryCode: {qc}, status: {status}, senderFault: {sender}, message: message)\n        }}")
        out["Errors.swift"] = self.header() + f"\nextension {ns} {{\n    /// The service's modeled errors.\n    public enum Errors {{\n" + "\n".join(errs) + "\n    }\n}\n"
        # Operations and the service model.
        ops = []
        for name in sorted(self.model["operations"]):
            op = self.model["operations"][name]
            inp = f"{ns}.{op['input']['shape']}" if "input" in op else "EmptyShape"
            outp = f"{ns}.{op['output']['shape']}" if "output" in op else "EmptyShape"
            wrapper = op.get("output", {}).get("resultWrapper")
            ops.append(f"        public enum {name}: OperationSpec {{\n"
                       f"            public typealias Input = {inp}\n            public typealias Output = {outp}\n"
                       f"            public static let name = {swift_string(name)}\n"
                       f"            public static let resultWrapper: String? = {swift_string(wrapper) if wrapper else 'nil'}\n        }}")
        protocol = meta["protocol"]
        # A service whose first protocol is Smithy RPC v2 CBOR also speaks JSON (botocore's choice) and Query.
        if protocol == "smithy-rpc-v2-cbor" and "json" in meta.get("protocols", []):
            protocol = "json"
        if protocol == "query":
            wp = f".query(apiVersion: {swift_string(meta['apiVersion'])}, xmlNamespace: {swift_string(meta['xmlNamespace'])})"
        elif protocol == "json":
            wp = f".json(version: {swift_string(meta['jsonVersion'])}, targetPrefix: {swift_string(meta['targetPrefix'])})"
        elif protocol == "rest-json":
            wp = ".restJSON"
        else:
            raise SystemExit(f"{ns}: protocol {protocol} has no codec yet")
        # A JSON service that used to speak Query (awsQueryCompatible) still answers older clients over Query when its
        # patch restores the Query namespace (and the Query names of members).
        legacy = ""
        if protocol == "json" and "awsQueryCompatible" in meta and "xmlNamespace" in meta:
            legacy = (f"        legacyQuery: .query(apiVersion: {swift_string(meta['apiVersion'])}, "
                      f"xmlNamespace: {swift_string(meta['xmlNamespace'])}),\n")
        if "smithy-rpc-v2-cbor" in meta.get("protocols", []):
            legacy += "        rpcV2CBOR: true,\n"
        # Modeled errors whose message member is spelled `Message`: their JSON bodies carry it under that key (the
        # others, and errors the model does not list, say `message`).
        capital = sorted(n for n, s in self.model["shapes"].items()
                         if s.get("exception") and "Message" in s.get("members", {}))
        if capital:
            legacy += "        capitalMessageErrors: [" + ", ".join(swift_string(n) for n in capital) + "],\n"
        names = ", ".join(swift_string(n) for n in sorted(self.all_operations))
        bindings = ""
        if protocol.startswith("rest"):
            rows = []
            for name in sorted(self.model["operations"]):
                h = self.model["operations"][name]["http"]
                rows.append(f"            {swift_string(name)}: HTTPBinding(method: {swift_string(h['method'])}, "
                            f"requestUri: {swift_string(h['requestUri'])}, responseCode: {h.get('responseCode', 200)}),")
            bindings = ",\n        httpBindings: [\n" + "\n".join(rows) + "\n        ]"
        out["Operations.swift"] = self.header() + f"""
/// {meta.get('serviceId', ns)} ({meta.get('uid', '')}).
public enum {ns} {{
    public static let model = ServiceModel(
        signingName: {swift_string(meta.get('signingName', meta['endpointPrefix']))},
        endpointPrefix: {swift_string(meta['endpointPrefix'])},
        wireProtocol: {wp},
{legacy}        operationNames: [{names}]{bindings}
    )

    /// One spec per operation of the model.
    public enum Operations {{
{chr(10).join(ops)}
    }}
}}
"""
        return out


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    import botocore
    cfg = json.load(open(os.path.join(HERE, "services.json")))
    if botocore.__version__ != cfg["botocore"]:
        sys.exit(f"botocore {botocore.__version__} installed; services.json pins {cfg['botocore']} (pip install botocore=={cfg['botocore']})")
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    for service, opts in cfg["services"].items():
        paths = sorted(glob.glob(os.path.join(data, service, "*", "service-2.json*")))
        path = paths[-1]
        model = json.load(gzip.open(path) if path.endswith(".gz") else open(path))
        patch_path = os.path.join(HERE, "patches", f"{service}.json")
        if os.path.exists(patch_path):
            deep_merge(model, json.load(open(patch_path)))
        ns = opts["namespace"]
        outdir = os.path.join(ROOT, "Sources", "WardenAPI", ns)
        files = Gen(ns, model, cfg["botocore"], opts.get("operations")).files()
        if check:
            for fname, text in files.items():
                target = os.path.join(outdir, f"{ns}+{fname}")
                if not os.path.exists(target) or open(target).read() != text:
                    stale.append(os.path.relpath(target, ROOT))
            continue
        os.makedirs(outdir, exist_ok=True)
        for fname, text in files.items():
            with open(os.path.join(outdir, f"{ns}+{fname}"), "w") as f:
                f.write(text)
        print(f"generated {ns} from {os.path.relpath(path, data)}")
    if check:
        if stale:
            sys.exit("generated code is stale; run scripts/codegen/generate.py: " + ", ".join(stale))
        print("generated code matches the models")


if __name__ == "__main__":
    main()
