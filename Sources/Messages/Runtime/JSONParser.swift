extension JSONValue {
    /// Parses JSON text strictly by RFC 8259.
    ///
    /// Rejected, with the line and column: trailing commas, comments, single
    /// quotes, leading zeros, `NaN`, unescaped control characters, lone
    /// surrogates, duplicate keys in one object, nesting deeper than 100, and
    /// anything after the value.
    ///
    /// - Throws: ``JSONDecodingError`` of kind `.syntax`.
    public init(parsing text: String) throws {
        var text = text
        self = try text.withUTF8 { utf8 throws(JSONDecodingError) in
            var parser = JSONParser(utf8)
            return try parser.parseDocument()
        }
    }

    /// Parses JSON text given as UTF-8 bytes strictly by RFC 8259.
    ///
    /// - Throws: ``JSONDecodingError`` of kind `.syntax`, also for bytes that
    ///   are not valid UTF-8.
    public init(parsing bytes: [UInt8]) throws {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let offset = firstInvalidUTF8Offset(bytes)
            throw JSONDecodingError.syntax(
                in: UnsafeBufferPointer(start: nil, count: 0), offset: offset,
                reason: "the text is not valid UTF-8 at byte offset \(offset)")
        }
        try self.init(parsing: text)
    }
}

/// Where the first invalid UTF-8 sequence starts in `bytes`.
private func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int {
    var offset = 0
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar): offset += UTF8.width(scalar)
        case .emptyInput, .error: return offset
        }
    }
}

/// A recursive-descent parser over UTF-8 that is already known to be valid.
private struct JSONParser {
    let input: UnsafeBufferPointer<UInt8>
    var position = 0
    var depth = 0
    static let maximumDepth = 100

    init(_ input: UnsafeBufferPointer<UInt8>) {
        self.input = input
    }

    mutating func parseDocument() throws(JSONDecodingError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if position < input.count {
            throw error("unexpected \(describeNext()) after the JSON value")
        }
        return value
    }

    func error(_ reason: String, at offset: Int? = nil) -> JSONDecodingError {
        JSONDecodingError.syntax(in: input, offset: offset ?? position, reason: reason)
    }

    func describeNext() -> String {
        guard position < input.count else { return "end of input" }
        let byte = input[position]
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONDecodingError) -> JSONValue {
        guard position < input.count else { throw error("expected a value, got end of input") }
        switch input[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("expected a value, got \(describeNext())")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONDecodingError) {
        let start = position
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for byte in bytes {
            guard position < input.count, input[position] == byte else {
                throw error("expected a value, got an unknown literal", at: start)
            }
            position += 1
        }
    }

    mutating func enter() throws(JSONDecodingError) {
        depth += 1
        if depth > JSONParser.maximumDepth {
            throw error("nesting deeper than \(JSONParser.maximumDepth) levels")
        }
    }

    mutating func parseObject() throws(JSONDecodingError) -> JSONValue {
        try enter()
        position += 1
        var object = JSONObject()
        var keys = Set<String>()
        skipWhitespace()
        if position < input.count && input[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard position < input.count, input[position] == UInt8(ascii: "\"") else {
                throw error("expected a member name in double quotes, got \(describeNext())")
            }
            let keyOffset = position
            let key = try parseString()
            if !keys.insert(key).inserted {
                throw error("duplicate member name \(JSONValue.string(key).serialized())",
                            at: keyOffset)
            }
            skipWhitespace()
            guard position < input.count, input[position] == UInt8(ascii: ":") else {
                throw error("expected ':' after a member name, got \(describeNext())")
            }
            position += 1
            skipWhitespace()
            object.append(key, try parseValue())
            skipWhitespace()
            guard position < input.count else {
                throw error("expected ',' or '}' in an object, got end of input")
            }
            if input[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if input[position] == UInt8(ascii: "}") {
                position += 1
                depth -= 1
                return .object(object)
            }
            throw error("expected ',' or '}' in an object, got \(describeNext())")
        }
    }

    mutating func parseArray() throws(JSONDecodingError) -> JSONValue {
        try enter()
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < input.count && input[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard position < input.count else {
                throw error("expected ',' or ']' in an array, got end of input")
            }
            if input[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if input[position] == UInt8(ascii: "]") {
                position += 1
                depth -= 1
                return .array(elements)
            }
            throw error("expected ',' or ']' in an array, got \(describeNext())")
        }
    }

    mutating func parseString() throws(JSONDecodingError) -> String {
        let start = position
        position += 1
        var bytes: [UInt8] = []
        var runStart = position
        while true {
            guard position < input.count else {
                throw error("unterminated string", at: start)
            }
            let byte = input[position]
            if byte == UInt8(ascii: "\"") {
                if bytes.isEmpty {
                    let run = UnsafeBufferPointer(rebasing: input[runStart..<position])
                    position += 1
                    return String(decoding: run, as: UTF8.self)
                }
                bytes.append(contentsOf: input[runStart..<position])
                position += 1
                return String(decoding: bytes, as: UTF8.self)
            }
            if byte < 0x20 {
                throw error("control character 0x\(String(byte, radix: 16)) in a string "
                    + "must be escaped")
            }
            if byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: input[runStart..<position])
                try parseEscape(into: &bytes)
                runStart = position
                continue
            }
            position += 1
        }
    }

    mutating func parseEscape(into bytes: inout [UInt8]) throws(JSONDecodingError) {
        let start = position
        position += 1
        guard position < input.count else { throw error("unterminated escape", at: start) }
        let byte = input[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): bytes.append(0x22)
        case UInt8(ascii: "\\"): bytes.append(0x5C)
        case UInt8(ascii: "/"): bytes.append(0x2F)
        case UInt8(ascii: "b"): bytes.append(0x08)
        case UInt8(ascii: "f"): bytes.append(0x0C)
        case UInt8(ascii: "n"): bytes.append(0x0A)
        case UInt8(ascii: "r"): bytes.append(0x0D)
        case UInt8(ascii: "t"): bytes.append(0x09)
        case UInt8(ascii: "u"):
            var code = try parseHex4(escapeAt: start)
            if (0xD800...0xDBFF).contains(code) {
                guard position + 1 < input.count, input[position] == UInt8(ascii: "\\"),
                      input[position + 1] == UInt8(ascii: "u") else {
                    throw error("lone high surrogate \\u\(String(code, radix: 16))", at: start)
                }
                position += 2
                let low = try parseHex4(escapeAt: position - 2)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error("high surrogate not followed by a low one", at: start)
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw error("lone low surrogate \\u\(String(code, radix: 16))", at: start)
            }
            bytes.append(contentsOf: String(Character(Unicode.Scalar(code)!)).utf8)
        default:
            throw error("unknown escape \\\(Character(Unicode.Scalar(byte)))", at: start)
        }
    }

    mutating func parseHex4(escapeAt start: Int) throws(JSONDecodingError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < input.count else { throw error("incomplete \\u escape", at: start) }
            let byte = input[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("\\u escape needs four hex digits", at: start)
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    mutating func parseNumber() throws(JSONDecodingError) -> JSONValue {
        let start = position
        if input[position] == UInt8(ascii: "-") { position += 1 }
        guard position < input.count, isDigit(input[position]) else {
            throw error("a number needs a digit after '-'", at: start)
        }
        if input[position] == UInt8(ascii: "0") {
            position += 1
            if position < input.count && isDigit(input[position]) {
                throw error("a number must not have a leading zero", at: start)
            }
        } else {
            while position < input.count && isDigit(input[position]) { position += 1 }
        }
        if position < input.count && input[position] == UInt8(ascii: ".") {
            position += 1
            guard position < input.count, isDigit(input[position]) else {
                throw error("a number needs a digit after '.'", at: start)
            }
            while position < input.count && isDigit(input[position]) { position += 1 }
        }
        if position < input.count && (input[position] | 0x20) == UInt8(ascii: "e") {
            position += 1
            if position < input.count
                && (input[position] == UInt8(ascii: "+") || input[position] == UInt8(ascii: "-")) {
                position += 1
            }
            guard position < input.count, isDigit(input[position]) else {
                throw error("a number needs a digit in its exponent", at: start)
            }
            while position < input.count && isDigit(input[position]) { position += 1 }
        }
        let text = UnsafeBufferPointer(rebasing: input[start..<position])
        return .number(String(decoding: text, as: UTF8.self))
    }

    func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
