/// The arrival sequences of one case's events, as the store keeps them.
///
/// Stored as text: each sequence in decimal followed by a comma
/// ("12,57,103,"), so that a schema step can build lists with SQL's
/// `group_concat` and a list stays readable in the sqlite3 shell. The order
/// inside the text carries no meaning; ``sequences`` sorts.
struct EventList: Equatable {
    private(set) var text: String

    init(text: String = "") {
        self.text = text
    }

    var isEmpty: Bool { text.isEmpty }

    /// The text's length in bytes, for ``truncate(to:)``.
    var length: Int { text.utf8.count }

    /// Takes back what was appended since the list was `length` long.
    mutating func truncate(to length: Int) {
        text = String(decoding: text.utf8.prefix(length), as: UTF8.self)
    }

    mutating func append(_ sequence: Int64) {
        text += String(sequence)
        text += ","
    }

    /// Adds another list's sequences (a list may be split between a case's
    /// row and case_event_list for a while).
    mutating func append(contentsOf other: EventList) {
        text += other.text
    }

    /// The sequences in arrival order, each once.
    var sequences: [Int64] {
        var numbers: [Int64] = []
        var current: Int64 = 0
        var hasDigits = false
        for byte in text.utf8 {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                current = current &* 10 &+ Int64(byte - UInt8(ascii: "0"))
                hasDigits = true
            } else {
                if hasDigits { numbers.append(current) }
                current = 0
                hasDigits = false
            }
        }
        if hasDigits { numbers.append(current) }
        numbers.sort()
        var unique: [Int64] = []
        unique.reserveCapacity(numbers.count)
        for number in numbers where unique.last != number {
            unique.append(number)
        }
        return unique
    }
}
