/// An immutable reference that holds a message inside a message of its own
/// type (directly or through others), which a struct cannot do by value.
///
/// The generated code uses it only for fields on a cycle of message types.
/// It is `Sendable` because `value` is a `let` of a `Sendable` type, and it
/// compares and hashes by value, so the box is invisible to `==`.
final class ProtoBox<Value: Hashable & Sendable>: Hashable, Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }

    static func == (a: ProtoBox, b: ProtoBox) -> Bool {
        a === b || a.value == b.value
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }
}
