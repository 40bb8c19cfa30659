#!/usr/bin/env python3
"""Writes the Swift side of the interface standard from a protoc descriptor set.

Usage: protogen.py DESCRIPTORS.pb OUT_ROOT [C_INCLUDE_DIR]

DESCRIPTORS.pb is `protoc --descriptor_set_out --include_imports
--include_source_info` output. OUT_ROOT is the repository (or a copy of its
layout); the script writes:

  Sources/Messages/Generated/*.swift     value types, C and JSON conversions
  Sources/Services/Generated/*.swift     service descriptors, reflection data
  Sources/ClientKit/Generated/*.swift    one async client per service
  Tests/MessagesTests/Generated/*.swift  fixtures with every field set

With C_INCLUDE_DIR (protoc-c's headers), every C name the Swift code uses is
checked against them first, so a naming mismatch fails here, not in swiftc.
"""

import os
import re
import sys

from google.protobuf import descriptor_pb2 as dpb

F = dpb.FieldDescriptorProto

SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func",
    "import", "init", "inout", "internal", "let", "open", "operator", "private",
    "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript",
    "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do",
    "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw",
    "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self",
    "Self", "super", "true", "try", "throws", "Type", "Protocol",
}
C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "int", "long", "register",
    "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "inline", "restrict", "bool",
    "class", "delete", "new", "private", "protected", "public", "template", "this",
    "throw", "try", "catch", "virtual", "friend", "operator", "namespace", "using",
}
# Words written in capitals inside lowerCamelCase names (Swift API guidelines).
ACRONYMS = {"id": "ID", "url": "URL", "uuid": "UUID", "json": "JSON", "http": "HTTP"}
# Names that a generated type must not take: the module's own name (it would
# break module-qualified names such as Messages.CaseEvent) and the runtime's.
RESERVED_TYPE_NAMES = {
    "Messages", "Services", "ProtoMessage", "ProtoEnum", "JSONValue", "JSONObject",
    "Timestamp", "MessageDecodingError", "JSONDecodingError", "JSONEncodingOptions",
    "JSONDecodingOptions", "MessageTypeRegistry", "InterfaceStandard", "Arena",
}

SCALAR_SWIFT = {
    F.TYPE_DOUBLE: "Double", F.TYPE_FLOAT: "Float",
    F.TYPE_INT64: "Int64", F.TYPE_SINT64: "Int64", F.TYPE_SFIXED64: "Int64",
    F.TYPE_UINT64: "UInt64", F.TYPE_FIXED64: "UInt64",
    F.TYPE_INT32: "Int32", F.TYPE_SINT32: "Int32", F.TYPE_SFIXED32: "Int32",
    F.TYPE_UINT32: "UInt32", F.TYPE_FIXED32: "UInt32",
    F.TYPE_BOOL: "Bool", F.TYPE_STRING: "String", F.TYPE_BYTES: "[UInt8]",
}
SCALAR_PROTO_NAME = {
    F.TYPE_DOUBLE: "double", F.TYPE_FLOAT: "float", F.TYPE_INT64: "int64",
    F.TYPE_SINT64: "sint64", F.TYPE_SFIXED64: "sfixed64", F.TYPE_UINT64: "uint64",
    F.TYPE_FIXED64: "fixed64", F.TYPE_INT32: "int32", F.TYPE_SINT32: "sint32",
    F.TYPE_SFIXED32: "sfixed32", F.TYPE_UINT32: "uint32", F.TYPE_FIXED32: "fixed32",
    F.TYPE_BOOL: "bool", F.TYPE_STRING: "string", F.TYPE_BYTES: "bytes",
}
INT64_TYPES = {F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64, F.TYPE_UINT64, F.TYPE_FIXED64}
INT32_TYPES = {F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32, F.TYPE_UINT32, F.TYPE_FIXED32}

TIMESTAMP = "google.protobuf.Timestamp"


class GeneratorError(Exception):
    pass


# ---------------------------------------------------------------- names

def words(snake):
    return [w for w in snake.split("_") if w]


def lower_camel(snake):
    parts = words(snake.lower())
    if not parts:
        raise GeneratorError(f"cannot make a Swift name from {snake!r}")
    out = parts[0]
    for w in parts[1:]:
        out += ACRONYMS.get(w, w[:1].upper() + w[1:])
    return out


def upper_camel(snake):
    return "".join(ACRONYMS.get(w, w[:1].upper() + w[1:]) for w in words(snake.lower()))


def camel_to_upper_snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def camel_to_lower_protoc_c(name):
    """protoc-c's CamelToLower: an underscore before each capital that follows
    a non-capital, then everything in lower case."""
    out = ""
    was_upper = True
    for ch in name:
        is_upper = ch.isupper()
        if is_upper and not was_upper:
            out += "_"
        out += ch.lower()
        was_upper = is_upper
    return out


def escape(name):
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


def swift_namespace(package):
    """grpc.reflection.v1alpha -> GRPCReflectionV1Alpha; monitor.v1 -> None."""
    if package == "monitor.v1":
        return None
    out = ""
    for part in package.split("."):
        if part == "grpc":
            out += "GRPC"
            continue
        for piece in re.findall(r"[a-z]+|[0-9]+|[A-Z][a-z]*", part):
            out += piece[:1].upper() + piece[1:]
    return out


def file_stem(proto_name):
    return proto_name[: -len(".proto")].replace("/", "_")


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- model

class Enum:
    def __init__(self, proto, full_name, parent, file, path):
        self.proto = proto
        self.full_name = full_name
        self.parent = parent
        self.file = file
        self.comment = file.comment(path)
        prefix = camel_to_upper_snake(proto.name) + "_"
        self.values = []
        seen = set()
        for i, v in enumerate(proto.value):
            if v.number in seen:
                raise GeneratorError(f"{full_name}: aliased value {v.name} is not supported")
            seen.add(v.number)
            name = v.name[len(prefix):] if v.name.startswith(prefix) else v.name
            if not name or name[0].isdigit():
                name = v.name
            case = lower_camel(name)
            if case == "unrecognized":
                raise GeneratorError(f"{full_name}.{v.name} clashes with unrecognized(Int32)")
            self.values.append((v.name, v.number, case, file.comment(path + [2, i])))
        if not any(n == 0 for _, n, _, _ in self.values):
            raise GeneratorError(f"{full_name} has no value numbered 0")

    @property
    def default_case(self):
        return next(c for _, n, c, _ in self.values if n == 0)


class Field:
    def __init__(self, proto, message, path):
        self.proto = proto
        self.message = message
        self.name = proto.name
        self.number = proto.number
        self.type = proto.type
        self.type_name = proto.type_name.lstrip(".")
        self.json_name = proto.json_name or lower_camel(proto.name)
        self.repeated = proto.label == F.LABEL_REPEATED
        self.comment = message.file.comment(path)
        self.swift_name = lower_camel(proto.name)
        self.c_name = proto.name.lower() + ("_" if proto.name.lower() in C_KEYWORDS else "")
        self.oneof = None
        self.full_name = f"{message.full_name}.{proto.name}"

    @property
    def is_message(self):
        return self.type == F.TYPE_MESSAGE

    @property
    def is_enum(self):
        return self.type == F.TYPE_ENUM


class Oneof:
    def __init__(self, name, message, path):
        self.name = name
        self.message = message
        self.fields = []
        self.comment = message.file.comment(path)
        self.swift_name = lower_camel(name)
        self.type_name = upper_camel(name)
        self.c_case = name.lower() + "_case"

    @property
    def single(self):
        return len(self.fields) == 1


class Message:
    def __init__(self, proto, full_name, parent, file, path):
        self.proto = proto
        self.full_name = full_name
        self.parent = parent
        self.file = file
        self.path = path
        self.comment = file.comment(path)
        self.map_entry = proto.options.map_entry
        self.fields = []
        self.oneofs = []
        for i, o in enumerate(proto.oneof_decl):
            self.oneofs.append(Oneof(o.name, self, path + [8, i]))
        for i, fp in enumerate(proto.field):
            if fp.proto3_optional:
                raise GeneratorError(f"{full_name}.{fp.name}: proto3 optional is not supported "
                                     "by protoc-c 1.4.1; use a one-field oneof")
            f = Field(fp, self, path + [2, i])
            if fp.HasField("oneof_index"):
                f.oneof = self.oneofs[fp.oneof_index]
                f.oneof.fields.append(f)
            self.fields.append(f)
        self.boxed = set()  # field numbers stored in a box (recursion)
        self.indirect_oneofs = set()

    @property
    def short_name(self):
        return self.proto.name


class File:
    def __init__(self, proto):
        self.proto = proto
        self.name = proto.name
        self.package = proto.package
        self.locations = {}
        for loc in proto.source_code_info.location:
            self.locations[tuple(loc.path)] = loc
        self.messages = []
        self.enums = []
        self.services = []
        self.header_comment = self.comment([12])

    def comment(self, path):
        loc = self.locations.get(tuple(path))
        if loc is None:
            return []
        text = loc.leading_comments or loc.trailing_comments
        lines = [l[1:] if l.startswith(" ") else l for l in text.rstrip("\n").split("\n")]
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        return [l.rstrip() for l in lines]


class Model:
    def __init__(self, descriptor_set):
        self.files = []
        self.messages = {}
        self.enums = {}
        for fp in descriptor_set.file:
            if fp.syntax != "proto3":
                raise GeneratorError(f"{fp.name}: only proto3 files are supported")
            f = File(fp)
            self.files.append(f)
            for i, m in enumerate(fp.message_type):
                self._add_message(m, fp.package, None, f, [4, i])
            for i, e in enumerate(fp.enum_type):
                self._add_enum(e, fp.package, None, f, [5, i])
            for i, s in enumerate(fp.service):
                f.services.append((s, f.comment([6, i]),
                                   [f.comment([6, i, 2, j]) for j in range(len(s.method))]))
        self._mark_recursion()

    def _add_message(self, proto, scope, parent, file, path):
        full = f"{scope}.{proto.name}" if scope else proto.name
        m = Message(proto, full, parent, file, path)
        self.messages[full] = m
        file.messages.append(m)
        for i, n in enumerate(proto.nested_type):
            self._add_message(n, full, m, file, path + [3, i])
        for i, e in enumerate(proto.enum_type):
            self._add_enum(e, full, m, file, path + [4, i])

    def _add_enum(self, proto, scope, parent, file, path):
        full = f"{scope}.{proto.name}"
        e = Enum(proto, full, parent, file, path)
        self.enums[full] = e
        file.enums.append(e)

    def generated_files(self):
        return [f for f in self.files if f.package != "google.protobuf"]

    def _mark_recursion(self):
        """Boxes singular message fields that lead back to their own message:
        a struct cannot contain itself, but a box (a reference) can."""
        edges = {}
        for m in self.messages.values():
            edges[m.full_name] = [f for f in m.fields
                                  if f.is_message and not f.repeated
                                  and f.type_name in self.messages
                                  and not self.messages[f.type_name].map_entry]

        def reaches(start, goal):
            seen, stack = set(), [start]
            while stack:
                n = stack.pop()
                if n == goal:
                    return True
                if n in seen:
                    continue
                seen.add(n)
                stack.extend(f.type_name for f in edges.get(n, []))
            return False

        for m in self.messages.values():
            for f in edges[m.full_name]:
                if reaches(f.type_name, m.full_name):
                    if f.oneof and not f.oneof.single:
                        m.indirect_oneofs.add(f.oneof.name)
                    else:
                        m.boxed.add(f.number)

    # Swift names of types -------------------------------------------------

    def swift_type(self, full_name):
        if full_name == TIMESTAMP:
            return "Timestamp"
        if full_name.startswith("google.protobuf."):
            raise GeneratorError(f"{full_name} has no Swift mapping; only Timestamp has")
        node = self.messages.get(full_name) or self.enums.get(full_name)
        if node is None:
            raise GeneratorError(f"unknown type {full_name}")
        names = []
        while node is not None:
            names.append(node.proto.name)
            node = node.parent
        names.reverse()
        ns = swift_namespace(node_package(self, full_name))
        if names[0] in RESERVED_TYPE_NAMES:
            raise GeneratorError(f"{full_name}: the Swift name {names[0]} is reserved")
        return ".".join(([ns] if ns else []) + names)

    def c_type(self, full_name):
        package = node_package(self, full_name)
        rest = full_name[len(package) + 1:]
        parts = [p[:1].upper() + p[1:] for p in package.split(".")] + rest.split(".")
        return "__".join(parts)

    def c_lower(self, full_name):
        package = node_package(self, full_name)
        rest = full_name[len(package) + 1:]
        parts = package.lower().split(".") + [camel_to_lower_protoc_c(p) for p in rest.split(".")]
        return "__".join(parts)


def node_package(model, full_name):
    if full_name == TIMESTAMP:
        return "google.protobuf"
    node = model.messages.get(full_name) or model.enums.get(full_name)
    return node.file.package


# ---------------------------------------------------------------- writing

class Writer:
    def __init__(self):
        self.lines = []
        self.level = 0

    def __call__(self, line=""):
        self.emit(self.level, line)

    def emit(self, level, line, continued=False):
        """Appends a line, breaking a long one after its first parenthesis and
        then between top-level arguments, so that lines stay within 100 columns."""
        text = ("    " * level + line) if line else ""
        comma = top_level_comma(line) if continued else -1
        if len(text) <= 100 or line.lstrip().startswith("//"):
            self.lines.append(text)
        elif comma >= 0:
            self.lines.append("    " * level + line[:comma + 1])
            self.emit(level, line[comma + 2:], continued=True)
        elif "(" in line and not line.startswith('"'):
            cut = line.index("(") + 1
            self.lines.append("    " * level + line[:cut])
            self.emit(level + 1, line[cut:].lstrip(), continued=True)
        else:
            self.lines.append(text)

    def doc(self, lines, fallback):
        text = lines or [fallback]
        for l in text:
            self(f"/// {l}".rstrip())

    def indent(self):
        self.level += 1

    def dedent(self):
        self.level -= 1

    def text(self):
        out = "\n".join(self.lines).rstrip("\n") + "\n"
        for n, line in enumerate(out.split("\n"), 1):
            if len(line) > 100:
                raise GeneratorError(f"generated line {n} is longer than 100 columns: {line}")
        return out


def header(w, proto_name, comment, what):
    w(f"// {what[:1].upper() + what[1:]} of {proto_name}.")
    w("// Generated by scripts/generate. DO NOT EDIT.")
    if comment:
        w("//")
        for l in comment:
            w(f"// {l}".rstrip())


class SwiftGen:
    def __init__(self, model):
        self.model = model
        self.request_of = {}
        for f in model.files:
            for s, _, _ in f.services:
                for m in s.method:
                    name = f"{f.package}.{s.name}/{m.name}"
                    self.request_of.setdefault(m.input_type.lstrip("."), []).append(
                        ("request", name))
                    self.request_of.setdefault(m.output_type.lstrip("."), []).append(
                        ("response", name))

    # field types --------------------------------------------------------

    def value_type(self, f):
        if f.is_message or f.is_enum:
            return self.model.swift_type(f.type_name)
        return SCALAR_SWIFT[f.type]

    def map_types(self, f):
        entry = self.model.messages[f.type_name]
        key = next(x for x in entry.fields if x.number == 1)
        value = next(x for x in entry.fields if x.number == 2)
        if key.type not in SCALAR_SWIFT or key.type in (F.TYPE_BOOL, F.TYPE_BYTES,
                                                          F.TYPE_FLOAT, F.TYPE_DOUBLE):
            raise GeneratorError(f"{f.full_name}: map keys of this type are not supported")
        return entry, key, value

    def is_map(self, f):
        return f.is_message and f.repeated and self.model.messages.get(f.type_name) and \
            self.model.messages[f.type_name].map_entry

    def property_type(self, f):
        if self.is_map(f):
            _, k, v = self.map_types(f)
            return f"[{self.value_type(k)}: {self.value_type(v)}]"
        t = self.value_type(f)
        if f.repeated:
            return f"[{t}]"
        if f.is_message or (f.oneof and f.oneof.single):
            return f"{t}?"
        return t

    def default_value(self, f):
        if self.is_map(f):
            return "[:]"
        if f.repeated:
            return "[]"
        if f.is_message or (f.oneof and f.oneof.single):
            return "nil"
        if f.is_enum:
            return "." + escape(self.model.enums[f.type_name].default_case)
        return {"String": '""', "[UInt8]": "[]", "Bool": "false"}.get(SCALAR_SWIFT[f.type], "0")

    def field_doc(self, f):
        if f.comment:
            return f.comment
        kind = SCALAR_PROTO_NAME.get(f.type, "message" if f.is_message else "enum")
        return [f"The `{f.name}` field ({kind} number {f.number})."]

    def message_doc(self, m):
        if m.comment:
            return m.comment
        uses = self.request_of.get(m.full_name)
        if uses:
            kind, method = uses[0]
            return [f"The {kind} of `/{method}`."]
        return [f"The message `{m.full_name}`."]

    # members: (kind, name) ----------------------------------------------

    def members(self, m):
        """Stored members in declaration order: fields and multi-field oneofs,
        each oneof at the place of its first field."""
        out, seen = [], set()
        for f in m.fields:
            if f.oneof and not f.oneof.single:
                if f.oneof.name not in seen:
                    seen.add(f.oneof.name)
                    out.append(("oneof", f.oneof))
            else:
                out.append(("field", f))
        return out

    def check_names(self, m):
        names = {}
        for kind, x in self.members(m):
            n = x.swift_name
            if n in names:
                raise GeneratorError(f"{m.full_name}: {n} is generated twice")
            names[n] = x
        nested = [n.proto.name for n in self.model.messages.values() if n.parent is m] + \
                 [e.proto.name for e in self.model.enums.values() if e.parent is m]
        for o in m.oneofs:
            if not o.single and o.type_name in nested:
                raise GeneratorError(f"{m.full_name}: oneof {o.name} clashes with a nested type")
        for f in m.fields:
            if (f.is_message or f.is_enum) and self.model.swift_type(f.type_name) in \
                    [o.type_name for o in m.oneofs if not o.single]:
                raise GeneratorError(f"{m.full_name}: a oneof type name shadows {f.type_name}")

    # ------------------------------------------------------------ types file

    def types_file(self, file):
        w = Writer()
        header(w, file.name, file.header_comment, "message and enum types")
        ns = swift_namespace(file.package)
        if ns:
            w()
            w(f"/// The types of proto package `{file.package}`.")
            w(f"public enum {ns} {{}}")
        for e in file.enums:
            w()
            self.enum_decl(w, e)
        for m in file.messages:
            if m.map_entry:
                continue
            w()
            self.message_decl(w, m)
        return w.text()

    def open_scope(self, w, node):
        """Opens `extension Parent {` for nested or namespaced types."""
        if node.parent is not None:
            w(f"extension {self.model.swift_type(node.parent.full_name)} {{")
            w.indent()
            return True
        ns = swift_namespace(node.file.package)
        if ns:
            w(f"extension {ns} {{")
            w.indent()
            return True
        return False

    def close_scope(self, w, opened):
        if opened:
            w.dedent()
            w("}")

    def enum_decl(self, w, e):
        opened = self.open_scope(w, e)
        name = e.proto.name
        w.doc(e.comment, f"The enum `{e.full_name}`.")
        w(f"public enum {name}: ProtoEnum {{")
        w.indent()
        for proto_name, number, case, comment in e.values:
            w.doc(comment, f"`{proto_name}` ({number}).")
            w(f"case {escape(case)}")
        w("/// A number this build does not know, kept as received.")
        w("case unrecognized(Int32)")
        w()
        w("/// The enum's full proto name.")
        w(f"public static let protoEnumName = {swift_string(e.full_name)}")
        w()
        w("/// Every declared value, in declaration order.")
        cases = ", ".join("." + escape(c) for _, _, c, _ in e.values)
        line = f"public static let allCases: [{name}] = [{cases}]"
        if len(line) + 4 * w.level <= 100:
            w(line)
        else:
            w(f"public static let allCases: [{name}] = [")
            w.indent()
            for _, _, c, _ in e.values:
                w(f".{escape(c)},")
            w.dedent()
            w("]")
        w()
        w("/// Creates the value with this number; unknown numbers are kept.")
        w("public init(rawValue: Int32) {")
        w.indent()
        w("switch rawValue {")
        for _, number, case, _ in e.values:
            w(f"case {number}: self = .{escape(case)}")
        w("default: self = .unrecognized(rawValue)")
        w("}")
        w.dedent()
        w("}")
        w()
        w("/// The value's number.")
        w("public var rawValue: Int32 {")
        w.indent()
        w("switch self {")
        for _, number, case, _ in e.values:
            w(f"case .{escape(case)}: return {number}")
        w("case .unrecognized(let number): return number")
        w("}")
        w.dedent()
        w("}")
        w()
        w("/// The value's proto name, or `nil` for an unrecognized number.")
        w("public var protoName: String? {")
        w.indent()
        w("switch self {")
        for proto_name, _, case, _ in e.values:
            w(f"case .{escape(case)}: return {swift_string(proto_name)}")
        w("case .unrecognized: return nil")
        w("}")
        w.dedent()
        w("}")
        w()
        w("/// Creates the value with this proto name, or `nil` if there is none.")
        w("public init?(protoName: String) {")
        w.indent()
        w("switch protoName {")
        for proto_name, _, case, _ in e.values:
            w(f"case {swift_string(proto_name)}: self = .{escape(case)}")
        w("default: return nil")
        w("}")
        w.dedent()
        w("}")
        w()
        w("/// Compares by number, so `.unrecognized(n)` equals the case numbered n.")
        w(f"public static func == (a: {name}, b: {name}) -> Bool {{")
        w.indent()
        w("a.rawValue == b.rawValue")
        w.dedent()
        w("}")
        w()
        w("/// Hashes the number, consistent with `==`.")
        w("public func hash(into hasher: inout Hasher) {")
        w.indent()
        w("hasher.combine(rawValue)")
        w.dedent()
        w("}")
        w.dedent()
        w("}")
        self.close_scope(w, opened)

    def message_decl(self, w, m):
        self.check_names(m)
        opened = self.open_scope(w, m)
        name = m.short_name
        w.doc(self.message_doc(m), "")
        w(f"public struct {name}: ProtoMessage {{")
        w.indent()
        w("/// The message's full proto name.")
        w(f"public static let protoMessageName = {swift_string(m.full_name)}")
        members = self.members(m)
        for kind, x in members:
            w()
            if kind == "oneof":
                w.doc(x.comment, f"The `{x.name}` oneof: at most one of its fields is set.")
                w(f"public var {escape(x.swift_name)}: {x.type_name}? = nil")
            elif x.number in m.boxed:
                t = self.value_type(x)
                w.doc(self.field_doc(x), "")
                w(f"public var {escape(x.swift_name)}: {t}? {{")
                w.indent()
                w(f"get {{ _{x.swift_name}?.value }}")
                w(f"set {{ _{x.swift_name} = newValue.map(ProtoBox.init) }}")
                w.dedent()
                w("}")
                w(f"private var _{x.swift_name}: ProtoBox<{t}>? = nil")
            else:
                w.doc(self.field_doc(x), "")
                w(f"public var {escape(x.swift_name)}: {self.property_type(x)} = "
                  f"{self.default_value(x)}")
        w()
        w("/// Creates a message with every field at its default.")
        w("public init() {}")
        if members:
            w()
            w("/// Creates a message from its fields; a field left out keeps its default.")
            w("public init(")
            w.indent()
            params = []
            for kind, x in members:
                if kind == "oneof":
                    params.append(f"{escape(x.swift_name)}: {x.type_name}? = nil")
                elif x.number in m.boxed:
                    params.append(f"{escape(x.swift_name)}: {self.value_type(x)}? = nil")
                else:
                    params.append(f"{escape(x.swift_name)}: {self.property_type(x)} = "
                                  f"{self.default_value(x)}")
            for i, p in enumerate(params):
                w(p + ("," if i < len(params) - 1 else ""))
            w.dedent()
            w(") {")
            w.indent()
            for kind, x in members:
                w(f"self.{escape(x.swift_name)} = {escape(x.swift_name)}")
            w.dedent()
            w("}")
        for o in m.oneofs:
            if o.single:
                continue
            w()
            w.doc(o.comment, f"The `{o.name}` oneof: at most one of its fields is set.")
            indirect = "indirect " if o.name in m.indirect_oneofs else ""
            w(f"public {indirect}enum {o.type_name}: Sendable, Hashable {{")
            w.indent()
            for f in o.fields:
                w.doc(self.field_doc(f), "")
                w(f"case {escape(f.swift_name)}({self.value_type(f)})")
            w.dedent()
            w("}")
        w.dedent()
        w("}")
        self.close_scope(w, opened)

    # ------------------------------------------------------------ C file

    def c_file(self, file):
        w = Writer()
        header(w, file.name, [], "conversions to and from the protoc-c structs")
        w()
        w("import CProtobufC")
        w("import CProtos")
        for m in file.messages:
            if m.map_entry:
                continue
            w()
            self.c_conversion(w, m)
        return w.text()

    def c_encode_value(self, f, v):
        """Swift expression converting value `v` of field f to its C form."""
        t = f.type
        if f.is_message:
            return f"{v}.cMessage(in: &arena)"
        if f.is_enum:
            return f".init(rawValue: .init(truncatingIfNeeded: {v}.rawValue))"
        if t == F.TYPE_STRING:
            return f"arena.cString({v})"
        if t == F.TYPE_BYTES:
            return f"arena.binary({v})"
        if t == F.TYPE_BOOL:
            return f"{v} ? 1 : 0"
        return v

    def c_decode_value(self, f, v):
        """Swift expression reading C value `v` of field f (may `try`)."""
        t = f.type
        if f.is_message:
            return f"try {self.model.swift_type(f.type_name)}(cMessage: {v})"
        if f.is_enum:
            return (f"{self.model.swift_type(f.type_name)}"
                    f"(rawValue: Int32(truncatingIfNeeded: {v}.rawValue))")
        if t == F.TYPE_STRING:
            return (f"try decodeString({v}, message: {swift_string(f.message.full_name)}, "
                    f"field: {swift_string(f.name)})")
        if t == F.TYPE_BYTES:
            return f"decodeBytes({v})"
        if t == F.TYPE_BOOL:
            return f"{v} != 0"
        return v

    def zero_test(self, f, v):
        """Swift condition that is true when `v` differs from the proto3 default."""
        if f.is_enum:
            return f"{v}.rawValue != 0"
        t = SCALAR_SWIFT[f.type]
        if t in ("String", "[UInt8]"):
            return f"!{v}.isEmpty"
        if t == "Bool":
            return v
        return f"{v} != 0"

    def c_conversion(self, w, m):
        st = self.model.swift_type(m.full_name)
        ct = self.model.c_type(m.full_name)
        cl = self.model.c_lower(m.full_name)
        w(f"extension {st}: CMessageConvertible {{")
        w.indent()
        w("/// Encodes the message in protobuf's binary wire format.")
        w("public func serializedBytes() -> [UInt8] {")
        w.indent()
        w("packMessage(self)")
        w.dedent()
        w("}")
        for arg in ("[UInt8]", "ArraySlice<UInt8>"):
            w()
            if arg == "[UInt8]":
                w("/// Decodes a message from protobuf's binary wire format.")
            else:
                w("/// Decodes a message from part of a byte array.")
            w(f"public init(serializedBytes bytes: {arg}) throws {{")
            w.indent()
            w("self = try bytes.withUnsafeBytes { raw throws(MessageDecodingError) in")
            w.indent()
            w("try unpackMessage(")
            w.indent()
            w("raw, as: Self.self, name: Self.protoMessageName,")
            w(f"unpack: {cl}__unpack)")
            w.dedent()
            w.dedent()
            w("}")
            w.dedent()
            w("}")
        w()
        w(f"typealias CMessage = {ct}")
        w()
        w("func cMessage(in arena: inout Arena) -> UnsafeMutablePointer<CMessage> {")
        w.indent()
        w("let c = arena.allocate(CMessage.self)")
        w(f"{cl}__init(c)")
        for kind, x in self.members(m):
            if kind == "oneof":
                self.c_encode_oneof(w, x)
            else:
                self.c_encode_field(w, x)
        w("return c")
        w.dedent()
        w("}")
        w()
        w("init(cMessage c: UnsafePointer<CMessage>) throws(FieldDecodingError) {")
        w.indent()
        w("self.init()")
        for kind, x in self.members(m):
            if kind == "oneof":
                self.c_decode_oneof(w, x)
            else:
                self.c_decode_field(w, x)
        w.dedent()
        w("}")
        w.dedent()
        w("}")

    def c_encode_field(self, w, f):
        p = "self." + escape(f.swift_name)
        c = f"c.pointee.{f.c_name}"
        if self.is_map(f):
            entry, k, v = self.map_types(f)
            ect = self.model.c_type(entry.full_name)
            ecl = self.model.c_lower(entry.full_name)
            w(f"if !{p}.isEmpty {{")
            w.indent()
            w(f"typealias Entry = {ect}")
            w(f"let entries = arena.allocate(UnsafeMutablePointer<Entry>?.self, count: {p}.count)")
            w(f"for (i, key) in {p}.keys.sorted().enumerated() {{")
            w.indent()
            w("let entry = arena.allocate(Entry.self)")
            w(f"{ecl}__init(entry)")
            w(f"entry.pointee.{k.c_name} = {self.c_encode_value(k, 'key')}")
            w(f"entry.pointee.{v.c_name} = {self.c_encode_value(v, p + '[key]!')}")
            w("(entries + i).initialize(to: entry)")
            w.dedent()
            w("}")
            w(f"c.pointee.n_{f.c_name} = {p}.count")
            w(f"{c} = entries")
            w.dedent()
            w("}")
            return
        if f.repeated:
            w(f"c.pointee.n_{f.c_name} = {p}.count")
            if f.is_message:
                w(f"{c} = arena.messageArray({p})")
            elif f.type == F.TYPE_STRING:
                w(f"{c} = arena.stringArray({p})")
            elif f.type == F.TYPE_BYTES:
                w(f"{c} = arena.binaryArray({p})")
            elif f.is_enum or f.type == F.TYPE_BOOL:
                w(f"{c} = arena.array({p}) {{ {self.c_encode_value(f, '$0')} }}")
            else:
                w(f"{c} = arena.array({p}) {{ $0 }}")
            return
        if f.oneof:  # a one-field oneof: an optional with presence
            w(f"if let value = {p} {{")
            w.indent()
            w(f"c.pointee.{f.oneof.c_case} = .init(rawValue: {f.number})")
            w(f"{c} = {self.c_encode_value(f, 'value')}")
            w.dedent()
            w("}")
            return
        if f.is_message:
            w(f"if let value = {p} {{")
            w.indent()
            w(f"{c} = value.cMessage(in: &arena)")
            w.dedent()
            w("}")
            return
        if f.type in (F.TYPE_STRING, F.TYPE_BYTES):
            w(f"if !{p}.isEmpty {{ {c} = {self.c_encode_value(f, p)} }}")
            return
        w(f"{c} = {self.c_encode_value(f, p)}")

    def c_decode_field(self, w, f):
        p = "self." + escape(f.swift_name)
        c = f"c.pointee.{f.c_name}"
        if self.is_map(f):
            entry, k, v = self.map_types(f)
            w(f"for i in 0..<c.pointee.n_{f.c_name} {{")
            w.indent()
            w(f"let entry = {c}[i]!")
            w(f"let key = {self.c_decode_value(k, 'entry.pointee.' + k.c_name)}")
            if v.is_message:
                vt = self.model.swift_type(v.type_name)
                w(f"if let value = entry.pointee.{v.c_name} {{")
                w.indent()
                w(f"{p}[key] = try {vt}(cMessage: value)")
                w.dedent()
                w("} else {")
                w.indent()
                w(f"{p}[key] = {vt}()")
                w.dedent()
                w("}")
            else:
                w(f"{p}[key] = {self.c_decode_value(v, 'entry.pointee.' + v.c_name)}")
            w.dedent()
            w("}")
            return
        if f.repeated:
            n = f"count: c.pointee.n_{f.c_name}"
            if f.is_message:
                w(f"{p} = try decodeMessages({c}, {n}, as: "
                  f"{self.model.swift_type(f.type_name)}.self)")
            elif f.type == F.TYPE_STRING:
                w(f"{p} = try decodeArray({c}, {n}) {{ (p) throws(FieldDecodingError) in")
                w.indent()
                w(self.c_decode_value(f, "p"))
                w.dedent()
                w("}")
            elif f.is_enum or f.type in (F.TYPE_BOOL, F.TYPE_BYTES):
                w(f"{p} = try decodeArray({c}, {n}) {{")
                w.indent()
                w(self.c_decode_value(f, "$0"))
                w.dedent()
                w("}")
            else:
                w(f"{p} = try decodeArray({c}, {n}) {{ $0 }}")
            return
        if f.oneof:
            w(f"if c.pointee.{f.oneof.c_case}.rawValue == {f.number} {{")
            w.indent()
            w(f"{p} = {self.c_decode_value(f, c)}")
            w.dedent()
            w("}")
            return
        if f.is_message:
            w(f"if let value = {c} {{")
            w.indent()
            w(f"{p} = {self.c_decode_value(f, 'value')}")
            w.dedent()
            w("}")
            return
        w(f"{p} = {self.c_decode_value(f, c)}")

    def c_encode_oneof(self, w, o):
        w(f"switch self.{escape(o.swift_name)} {{")
        for f in o.fields:
            w(f"case .{escape(f.swift_name)}(let value)?:")
            w.indent()
            w(f"c.pointee.{o.c_case} = .init(rawValue: {f.number})")
            w(f"c.pointee.{f.c_name} = {self.c_encode_value(f, 'value')}")
            w.dedent()
        w("case nil:")
        w.indent()
        w("break")
        w.dedent()
        w("}")

    def c_decode_oneof(self, w, o):
        w(f"switch c.pointee.{o.c_case}.rawValue {{")
        for f in o.fields:
            w(f"case {f.number}:")
            w.indent()
            w(f"self.{escape(o.swift_name)} = .{escape(f.swift_name)}("
              f"{self.c_decode_value(f, 'c.pointee.' + f.c_name)})")
            w.dedent()
        w("default:")
        w.indent()
        w("break")
        w.dedent()
        w("}")

    # ------------------------------------------------------------ JSON file

    def json_file(self, file):
        w = Writer()
        header(w, file.name, [], "the proto3 JSON mapping")
        for m in file.messages:
            if m.map_entry:
                continue
            w()
            self.json_conversion(w, m)
        return w.text()

    def json_encode_value(self, f, v):
        t = f.type
        if f.is_message:
            return f"{v}.jsonValue(options: options)"
        if f.is_enum:
            return f"JSONWrite.enumValue({v})"
        if t == F.TYPE_STRING:
            return f".string({v})"
        if t == F.TYPE_BYTES:
            return f"JSONWrite.bytes({v})"
        if t == F.TYPE_BOOL:
            return f".bool({v})"
        if t in INT64_TYPES:
            return f"JSONWrite.int64({v})"
        if t in INT32_TYPES:
            return f"JSONWrite.int32({v})"
        if t == F.TYPE_DOUBLE:
            return f"JSONWrite.double({v})"
        return f"JSONWrite.float({v})"

    def json_decode_value(self, f, v, path):
        """Expression reading JSON value `v` at `path` (enums handled apart)."""
        t = f.type
        if f.is_message:
            return (f"try {self.model.swift_type(f.type_name)}(json: {v}, path: {path}, "
                    "options: options)")
        if t == F.TYPE_STRING:
            return f"try JSONRead.string({v}, {path})"
        if t == F.TYPE_BYTES:
            return f"try JSONRead.bytes({v}, {path})"
        if t == F.TYPE_BOOL:
            return f"try JSONRead.bool({v}, {path})"
        if t == F.TYPE_DOUBLE:
            return f"try JSONRead.double({v}, {path})"
        if t == F.TYPE_FLOAT:
            return f"try JSONRead.float({v}, {path})"
        return (f"try JSONRead.integer({v}, {path}, {swift_string(SCALAR_PROTO_NAME[t])}) "
                f"as {SCALAR_SWIFT[t]}")

    def json_name_expr(self, f):
        if f.json_name == f.name:
            return swift_string(f.name)
        return f"names ? {swift_string(f.name)} : {swift_string(f.json_name)}"

    def json_conversion(self, w, m):
        st = self.model.swift_type(m.full_name)
        members = self.members(m)
        w(f"extension {st}: JSONPathDecodable {{")
        w.indent()
        w("/// Returns the message's canonical proto3 JSON form.")
        w("public func jsonValue(options: JSONEncodingOptions) -> JSONValue {")
        w.indent()
        if not members:
            w(".object(JSONObject())")
        else:
            w("var object = JSONObject()")
            if any(f.json_name != f.name for f in m.fields):
                w("let names = options.useProtoFieldNames")
            for kind, x in members:
                if kind == "oneof":
                    w(f"switch self.{escape(x.swift_name)} {{")
                    for f in x.fields:
                        w(f"case .{escape(f.swift_name)}(let value)?:")
                        w.indent()
                        w(f"object.append({self.json_name_expr(f)}, "
                          f"{self.json_encode_value(f, 'value')})")
                        w.dedent()
                    w("case nil:")
                    w.indent()
                    w("break")
                    w.dedent()
                    w("}")
                    continue
                self.json_encode_field(w, x)
            w("return .object(object)")
        w.dedent()
        w("}")
        w()
        w("/// Reads the message from its proto3 JSON form.")
        w("public init(jsonValue: JSONValue, options: JSONDecodingOptions) throws {")
        w.indent()
        w('try self.init(json: jsonValue, path: "", options: options)')
        w.dedent()
        w("}")
        w()
        w("init(json: JSONValue, path: String, options: JSONDecodingOptions) "
          "throws(JSONDecodingError) {")
        w.indent()
        w("self.init()")
        w("let object = try JSONRead.object(json, path, Self.protoMessageName)")
        for o in m.oneofs:
            if not o.single:
                w(f"var {o.swift_name}Key: String? = nil")
        w("for member in object.members {")
        w.indent()
        if m.fields:
            w("let value = member.value")
            w("switch member.key {")
            for f in m.fields:
                keys = [swift_string(f.json_name)]
                if f.name != f.json_name:
                    keys.append(swift_string(f.name))
                w(f"case {', '.join(keys)}:")
                w.indent()
                w("if case .null = value { continue }")
                w(f"let fieldPath = JSONPath.member(path, {swift_string(f.json_name)})")
                self.json_decode_field(w, f)
                w.dedent()
            w("default:")
            w.indent()
            self.json_unknown(w)
            w.dedent()
            w("}")
        else:
            self.json_unknown(w)
        w.dedent()
        w("}")
        w.dedent()
        w("}")
        w.dedent()
        w("}")

    def json_unknown(self, w):
        w("if !options.ignoreUnknownFields {")
        w.indent()
        w("throw JSONRead.unknownField(member.key, path, Self.protoMessageName)")
        w.dedent()
        w("}")

    def json_encode_field(self, w, f):
        p = "self." + escape(f.swift_name)
        name = self.json_name_expr(f)
        if self.is_map(f):
            _, k, v = self.map_types(f)
            w(f"if options.emitDefaultValues || !{p}.isEmpty {{")
            w.indent()
            w(f"var map = JSONObject()")
            w(f"for key in {p}.keys.sorted() {{")
            w.indent()
            key = "key" if k.type == F.TYPE_STRING else "String(key)"
            w(f"map.append({key}, {self.json_encode_value(v, p + '[key]!')})")
            w.dedent()
            w("}")
            w(f"object.append({name}, .object(map))")
            w.dedent()
            w("}")
            return
        if f.repeated:
            w(f"if options.emitDefaultValues || !{p}.isEmpty {{")
            w.indent()
            w(f"object.append({name}, .array({p}.map {{ {self.json_encode_value(f, '$0')} }}))")
            w.dedent()
            w("}")
            return
        if f.is_message or f.oneof:
            w(f"if let value = {p} {{")
            w.indent()
            w(f"object.append({name}, {self.json_encode_value(f, 'value')})")
            w.dedent()
            w("}")
            return
        w(f"if options.emitDefaultValues || {self.zero_test(f, p)} {{")
        w.indent()
        w(f"object.append({name}, {self.json_encode_value(f, p)})")
        w.dedent()
        w("}")

    def json_decode_field(self, w, f):
        p = "self." + escape(f.swift_name)
        if self.is_map(f):
            _, k, v = self.map_types(f)
            w("for entry in try JSONRead.map(value, fieldPath).members {")
            w.indent()
            w("let entryPath = JSONPath.key(fieldPath, entry.key)")
            if k.type == F.TYPE_STRING:
                w("let key = entry.key")
            else:
                kt = SCALAR_SWIFT[k.type]
                w(f"guard let key = {kt}(entry.key) else {{")
                w.indent()
                w(f'throw .mapping(entryPath, "expected a {SCALAR_PROTO_NAME[k.type]} map key")')
                w.dedent()
                w("}")
            if v.is_enum:
                w(f"if let e: {self.value_type(v)} = try JSONRead.enumValue("
                  "entry.value, entryPath, options) {")
                w.indent()
                w(f"{p}[key] = e")
                w.dedent()
                w("}")
            else:
                w(f"{p}[key] = {self.json_decode_value(v, 'entry.value', 'entryPath')}")
            w.dedent()
            w("}")
            return
        if f.repeated:
            if f.is_message:
                w(f"{p} = try JSONRead.messages(value, fieldPath, options)")
            elif f.is_enum:
                w(f"{p} = try JSONRead.enums(value, fieldPath, options)")
            else:
                w(f"{p} = try JSONRead.repeated(value, fieldPath) {{ "
                  "(v, p) throws(JSONDecodingError) in")
                w.indent()
                w(self.json_decode_value(f, "v", "p"))
                w.dedent()
                w("}")
            return
        if f.oneof and not f.oneof.single:
            o = f.oneof
            key = f"{o.swift_name}Key"
            w(f"if let earlier = {key} {{")
            w.indent()
            w(f'throw .mapping(fieldPath, "oneof {o.name} already has \\"\\(earlier)\\" set")')
            w.dedent()
            w("}")
            w(f"{key} = member.key")
            if f.is_enum:
                w(f"if let e: {self.value_type(f)} = try JSONRead.enumValue("
                  "value, fieldPath, options) {")
                w.indent()
                w(f"self.{escape(o.swift_name)} = .{escape(f.swift_name)}(e)")
                w.dedent()
                w("}")
            else:
                w(f"self.{escape(o.swift_name)} = .{escape(f.swift_name)}("
                  f"{self.json_decode_value(f, 'value', 'fieldPath')})")
            return
        if f.is_enum:
            w(f"if let e: {self.value_type(f)} = try JSONRead.enumValue("
              "value, fieldPath, options) {")
            w.indent()
            w(f"{p} = e")
            w.dedent()
            w("}")
            return
        w(f"{p} = {self.json_decode_value(f, 'value', 'fieldPath')}")

    # ------------------------------------------------------------ registry

    def registry_file(self):
        w = Writer()
        w("// The message type registry of Protos/.")
        w("// Generated by scripts/generate. DO NOT EDIT.")
        w()
        w("/// Every message type of the interface standard, by full proto name.")
        w("///")
        w("/// Lets a tool decode a message whose type it learns at run time, e.g.")
        w('/// `MessageTypeRegistry.byName["monitor.v1.CaseEvent"]`.')
        w("public enum MessageTypeRegistry {")
        w.indent()
        w("/// The message types, keyed by full proto name (\"monitor.v1.CaseEvent\").")
        w("public static let byName: [String: any ProtoMessage.Type] = [")
        w.indent()
        names = sorted([m.full_name for m in self.model.messages.values()
                        if not m.map_entry and m.file.package != "google.protobuf"] + [TIMESTAMP])
        for n in names:
            line = f"{swift_string(n)}: {self.model.swift_type(n)}.self,"
            if len(line) + 4 * w.level <= 100:
                w(line)
            else:
                w(f"{swift_string(n)}:")
                w(f"    {self.model.swift_type(n)}.self,")
        w.dedent()
        w("]")
        w.dedent()
        w("}")
        return w.text()

    # ------------------------------------------------------------ services

    def services_file(self, file):
        w = Writer()
        header(w, file.name, [], "service descriptors")
        w()
        w("import Messages")
        for s, comment, method_comments in file.services:
            full = f"{file.package}.{s.name}"
            ns = swift_namespace(file.package)
            w()
            if ns:
                w(f"extension {ns} {{")
                w.indent()
            w.doc(comment, f"The service `{full}`.")
            w(f"public enum {s.name} {{")
            w.indent()
            w(f"/// The service's full name, {swift_string(full)}.")
            w(f"public static let serviceName = {swift_string(full)}")
            seen = {"serviceName", "descriptor"}
            for mp, mc in zip(s.method, method_comments):
                mname = mp.name[:1].lower() + mp.name[1:]
                if mname in seen:
                    raise GeneratorError(f"{full}.{mp.name} clashes with a generated member")
                seen.add(mname)
                kind = {(False, False): "unary", (False, True): "serverStreaming",
                        (True, False): "clientStreaming",
                        (True, True): "bidirectionalStreaming"}[
                    (mp.client_streaming, mp.server_streaming)]
                req = self.model.swift_type(mp.input_type.lstrip("."))
                res = self.model.swift_type(mp.output_type.lstrip("."))
                w()
                w.doc(mc, f"The method `/{full}/{mp.name}`.")
                w(f"public static let {escape(mname)} = MethodDescriptor<")
                w.indent()
                if len(f"{req}, {res}") + 4 * w.level <= 100:
                    w(f"{req}, {res}")
                else:
                    w(f"{req},")
                    w(res)
                w.dedent()
                method = swift_string(mp.name)
                w(f">(serviceName: serviceName, methodName: {method}, kind: .{kind})")
            w()
            w("/// The service with every method, for registration and reflection.")
            w("public static let descriptor = ServiceDescriptor(")
            w.indent()
            w(f"name: serviceName, fileName: {swift_string(file.name)},")
            w("methods: [")
            w.indent()
            for mp in s.method:
                w(f"{escape(mp.name[:1].lower() + mp.name[1:])}.info,")
            w.dedent()
            w("])")
            w.dedent()
            w.dedent()
            w("}")
            if ns:
                w.dedent()
                w("}")
        return w.text()

    # ------------------------------------------------------------ clients

    def client_services(self, file):
        """The services that get a ClientKit client: the interface standard's
        own and the health check; reflection is for generic tools."""
        if file.package != "monitor.v1" and file.package != "grpc.health.v1":
            return []
        return file.services

    def clients_file(self, file):
        w = Writer()
        header(w, file.name, [], "ClientKit clients")
        w()
        w("import Messages")
        w("import Services")
        for s, comment, method_comments in self.client_services(file):
            full = f"{file.package}.{s.name}"
            ns = swift_namespace(file.package)
            descriptor = f"{ns}.{s.name}" if ns else s.name
            base = s.name[: -len("Service")] if s.name.endswith("Service") else s.name
            name = f"{base}Client"
            w()
            w(f"/// Calls `{full}` with typed messages; every method throws")
            w("/// ``MonitorError``.")
            if comment:
                w("///")
                w.doc(comment, "")
            w(f"public struct {name}: Sendable {{")
            w.indent()
            w("let caller: ServiceCaller")
            w()
            w("init(caller: ServiceCaller) {")
            w.indent()
            w("self.caller = caller")
            w.dedent()
            w("}")
            seen = {"caller", "init"}
            for mp, mc in zip(s.method, method_comments):
                mname = mp.name[:1].lower() + mp.name[1:]
                if mname in seen:
                    raise GeneratorError(f"{full}.{mp.name} clashes with a generated member")
                seen.add(mname)
                req = self.model.swift_type(mp.input_type.lstrip("."))
                res = self.model.swift_type(mp.output_type.lstrip("."))
                method = f"{descriptor}.{escape(mname)}"
                w()
                w.doc(mc, f"Calls `/{full}/{mp.name}`.")
                if mp.client_streaming and mp.server_streaming:
                    w("///")
                    w("/// Send requests on the returned call, finish sending, and read")
                    w("/// its responses; cancelling the reading task cancels the call.")
                    w(f"public func {escape(mname)}(")
                    w.indent()
                    w("options: CallOptions = CallOptions()")
                    w.dedent()
                    w(f") async throws -> BidirectionalStreamingCall<{req}, {res}> {{")
                    w.indent()
                    w(f"try await caller.bidirectionalStreaming({method}, options: options)")
                elif mp.client_streaming:
                    w("///")
                    w("/// Send requests on the returned call, then `finish()` for the")
                    w("/// response.")
                    w(f"public func {escape(mname)}(")
                    w.indent()
                    w("options: CallOptions = CallOptions()")
                    w.dedent()
                    w(f") async throws -> ClientStreamingCall<{req}, {res}> {{")
                    w.indent()
                    w(f"try await caller.clientStreaming({method}, options: options)")
                elif mp.server_streaming:
                    w("///")
                    w("/// Iterate the returned responses; the call's status ends them.")
                    w(f"public func {escape(mname)}(")
                    w.indent()
                    w(f"_ request: {req}, options: CallOptions = CallOptions()")
                    w.dedent()
                    w(f") async throws -> StreamedResponses<{res}> {{")
                    w.indent()
                    w(f"try await caller.serverStreaming({method}, request, options: options)")
                else:
                    w(f"public func {escape(mname)}(")
                    w.indent()
                    w(f"_ request: {req}, options: CallOptions = CallOptions()")
                    w.dedent()
                    w(f") async throws -> {res} {{")
                    w.indent()
                    w(f"try await caller.unary({method}, request, options: options)")
                w.dedent()
                w("}")
            w.dedent()
            w("}")
        return w.text()

    def interface_file(self, descriptor_set):
        w = Writer()
        w("// The descriptors of Protos/ that server reflection serves.")
        w("// Generated by scripts/generate. DO NOT EDIT.")
        w()
        w("import Messages")
        w()
        w("extension InterfaceStandard {")
        w.indent()
        w("/// Every service of the interface standard, in file order.")
        w("public static let services: [ServiceDescriptor] = [")
        w.indent()
        for f in self.model.generated_files():
            ns = swift_namespace(f.package)
            for s, _, _ in f.services:
                w(f"{(ns + '.') if ns else ''}{s.name}.descriptor,")
        w.dedent()
        w("]")
        w()
        w("/// Every .proto file with its serialized FileDescriptorProto (no source")
        w("/// info), keyed by file name (\"monitor/v1/intake.proto\").")
        w("public static let files: [String: InterfaceFile] = {")
        w.indent()
        w("var files: [String: InterfaceFile] = [:]")
        for fp in descriptor_set.file:
            stripped = dpb.FileDescriptorProto()
            stripped.CopyFrom(fp)
            stripped.ClearField("source_code_info")
            data = stripped.SerializeToString(deterministic=True)
            deps = ", ".join(swift_string(d) for d in fp.dependency)
            w(f"files[{swift_string(fp.name)}] = InterfaceFile(")
            w.indent()
            w(f"name: {swift_string(fp.name)},")
            if len(f"dependencies: [{deps}],") + 4 * w.level <= 100:
                w(f"dependencies: [{deps}],")
            else:
                w("dependencies: [")
                for d in fp.dependency:
                    w(f"    {swift_string(d)},")
                w("],")
            w("serializedDescriptor: latin1Bytes(")
            w.indent()
            for chunk in latin1_literal_lines(data, 100 - 4 * w.level):
                w(chunk)
            w.dedent()
            w("))")
            w.dedent()
        w("return files")
        w.dedent()
        w("}()")
        w()
        w("/// The file that defines each fully qualified symbol: services, methods")
        w("/// (\"monitor.v1.IntakeService.ReportEvents\"), messages and enums.")
        w("public static let symbols: [String: String] = [")
        w.indent()
        symbols = []
        for fp in descriptor_set.file:
            pkg = fp.package

            def walk(prefix, msgs, enums):
                for m in msgs:
                    symbols.append((f"{prefix}.{m.name}", fp.name))
                    walk(f"{prefix}.{m.name}", m.nested_type, m.enum_type)
                for e in enums:
                    symbols.append((f"{prefix}.{e.name}", fp.name))

            walk(pkg, fp.message_type, fp.enum_type)
            for s in fp.service:
                symbols.append((f"{pkg}.{s.name}", fp.name))
                for mp in s.method:
                    symbols.append((f"{pkg}.{s.name}.{mp.name}", fp.name))
        for sym, fname in sorted(symbols):
            line = f"{swift_string(sym)}: {swift_string(fname)},"
            if len(line) + 4 * w.level <= 100:
                w(line)
            else:
                w(f"{swift_string(sym)}:")
                w(f"    {swift_string(fname)},")
        w.dedent()
        w("]")
        w.dedent()
        w("}")
        return w.text()

    # ------------------------------------------------------------ fixtures

    def fixtures_file(self):
        w = Writer()
        w("// Test fixtures with every field of every message of Protos/ set.")
        w("// Generated by scripts/generate. DO NOT EDIT.")
        w()
        w("import Messages")
        w()
        w("/// Makers of fully populated messages, one per message type.")
        w("///")
        w("/// Variant 0 sets every field (the first case of each oneof); the other")
        w("/// variants walk the other oneof cases and the edge values of")
        w("/// `FixtureValues`: minimum integers, empty strings, present zeros,")
        w("/// absent optionals, unknown enum numbers.")
        w("enum Fixtures {")
        w.indent()
        w("/// Every message type: its full name, how many variants it has, a maker.")
        w("static let all: [(name: String, variants: Int, "
          "make: @Sendable (Int) -> any ProtoMessage)] = [")
        w.indent()
        msgs = [m for f in self.model.generated_files() for m in f.messages if not m.map_entry]
        for m in msgs:
            variants = max([3] + [len(o.fields) + 1 for o in m.oneofs if not o.single])
            w(f"({swift_string(m.full_name)}, {variants}, {{ {self.fixture_fn(m)}($0, 0) }}),")
        w.dedent()
        w("]")
        for m in msgs:
            w()
            self.fixture_maker(w, m)
        w.dedent()
        w("}")
        return w.text()

    def fixture_fn(self, m):
        return "make_" + m.full_name.replace(".", "_")

    def fixture_value(self, f, v):
        if f.is_message:
            if f.type_name == TIMESTAMP:
                return f"FixtureValues.timestamp({v})"
            return f"{self.fixture_fn(self.model.messages[f.type_name])}({v}, depth + 1)"
        if f.is_enum:
            return f"FixtureValues.enumValue({v})"
        t = SCALAR_SWIFT[f.type]
        fn = {"String": "string", "[UInt8]": "bytes", "Bool": "bool", "Double": "double",
              "Float": "float", "Int32": "int32", "UInt32": "uint32", "Int64": "int64",
              "UInt64": "uint64"}[t]
        if fn == "string":
            return f"FixtureValues.string({v}, {f.number})"
        return f"FixtureValues.{fn}({v})"

    def fixture_maker(self, w, m):
        st = self.model.swift_type(m.full_name)
        w(f"static func {self.fixture_fn(m)}(_ v: Int, _ depth: Int) -> {st} {{")
        w.indent()
        if not m.fields:
            w(f"{st}()")
            w.dedent()
            w("}")
            return
        w(f"var m = {st}()")
        for kind, x in self.members(m):
            if kind == "oneof":
                w(f"switch v % {len(x.fields) + 1} {{")
                for i, f in enumerate(x.fields):
                    w(f"case {i}:")
                    w.indent()
                    if f.is_message and f.type_name != TIMESTAMP:
                        w(f"if depth < 3 {{ m.{escape(x.swift_name)} = "
                          f".{escape(f.swift_name)}({self.fixture_value(f, 'v')}) }}")
                    else:
                        w(f"m.{escape(x.swift_name)} = .{escape(f.swift_name)}("
                          f"{self.fixture_value(f, 'v')})")
                    w.dedent()
                w("default:")
                w.indent()
                w("break")
                w.dedent()
                w("}")
                continue
            f = x
            p = f"m.{escape(f.swift_name)}"
            if self.is_map(f):
                _, k, val = self.map_types(f)
                w(f"if depth < 3 {{")
                w.indent()
                w(f"for (i, key) in FixtureValues.mapKeys(v).enumerated() {{")
                w.indent()
                if k.type == F.TYPE_STRING:
                    kexpr = "key"
                else:
                    kexpr = f"{SCALAR_SWIFT[k.type]}(key.utf8.count)"
                w(f"{p}[{kexpr}] = {self.fixture_value(val, 'v + i')}")
                w.dedent()
                w("}")
                w.dedent()
                w("}")
            elif f.repeated:
                nested = f.is_message and f.type_name != TIMESTAMP
                guard = "depth < 3 ? " if nested else ""
                tail = " : []" if nested else ""
                w(f"{p} = {guard}FixtureValues.indices(v).map {{ "
                  f"{self.fixture_value(f, '$0')} }}{tail}")
            elif f.oneof:  # optional scalar
                w(f"{p} = FixtureValues.optional(v) {{ {self.fixture_value(f, '$0')} }}")
            elif f.is_message:
                if f.type_name == TIMESTAMP:
                    w(f"{p} = v % 4 == 3 ? nil : {self.fixture_value(f, 'v')}")
                else:
                    w(f"{p} = depth < 3 ? {self.fixture_value(f, 'v')} : nil")
            else:
                w(f"{p} = {self.fixture_value(f, 'v')}")
        w("return m")
        w.dedent()
        w("}")


def top_level_comma(line):
    """The index of the first ", " outside parentheses and strings, or -1."""
    depth, in_string, i = 0, False, 0
    while i < len(line):
        ch = line[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0 and line[i + 1:i + 2] == " ":
            return i
        i += 1
    return -1


def latin1_literal_lines(data, width):
    """Swift string literal lines holding `data`, one Unicode scalar per byte
    (U+0000 to U+00FF), joined with +."""
    pieces = []
    for b in data:
        if 0x20 <= b < 0x7F and b not in (0x22, 0x5C):
            pieces.append(chr(b))
        else:
            pieces.append("\\u{%x}" % b)
    lines, current = [], ""
    for p in pieces:
        if len(current) + len(p) + 4 > width:
            lines.append(current)
            current = ""
        current += p
    if current:
        lines.append(current)
    return [f'"{l}"' + (" +" if i < len(lines) - 1 else "") for i, l in enumerate(lines)]


def check_c_names(model, include_dir):
    """Fails when a C name the Swift code will use is not in protoc-c's headers."""
    headers = {}
    for f in model.files:
        path = os.path.join(include_dir, f.name[:-len(".proto")] + ".pb-c.h")
        with open(path, encoding="utf-8") as h:
            headers[f.name] = h.read()
    for m in model.messages.values():
        text = headers[m.file.name]
        for needle in (f"struct  {model.c_type(m.full_name)}\n",
                       f"{model.c_lower(m.full_name)}__init\n"):
            if needle not in text:
                raise GeneratorError(f"{m.full_name}: expected `{needle.strip()}` in "
                                     f"protoc-c's header for {m.file.name}")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    descriptor_set = dpb.FileDescriptorSet()
    with open(argv[1], "rb") as f:
        descriptor_set.ParseFromString(f.read())
    out = argv[2]
    try:
        model = Model(descriptor_set)
        if len(argv) == 4:
            check_c_names(model, argv[3])
        gen = SwiftGen(model)
        messages = os.path.join(out, "Sources/Messages/Generated")
        services = os.path.join(out, "Sources/Services/Generated")
        tests = os.path.join(out, "Tests/MessagesTests/Generated")
        clients = os.path.join(out, "Sources/ClientKit/Generated")
        for f in model.generated_files():
            stem = file_stem(f.name)
            write(os.path.join(messages, f"{stem}.pb.swift"), gen.types_file(f))
            write(os.path.join(messages, f"{stem}.pb+C.swift"), gen.c_file(f))
            write(os.path.join(messages, f"{stem}.pb+JSON.swift"), gen.json_file(f))
            if f.services:
                write(os.path.join(services, f"{stem}.services.swift"), gen.services_file(f))
            if gen.client_services(f):
                write(os.path.join(clients, f"{stem}.client.swift"), gen.clients_file(f))
        write(os.path.join(messages, "MessageTypeRegistry.swift"), gen.registry_file())
        write(os.path.join(services, "InterfaceStandard+Descriptors.swift"),
              gen.interface_file(descriptor_set))
        write(os.path.join(tests, "Fixtures.swift"), gen.fixtures_file())
    except GeneratorError as e:
        sys.stderr.write(f"protogen: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
