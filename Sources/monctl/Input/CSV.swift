/// One record of a CSV file with the line it starts on.
struct CSVRecord: Sendable {
    /// The 1-based line the record starts on (a quoted field may span lines).
    let line: Int
    /// The fields, unquoted.
    let fields: [String]
}

/// Reads CSV text as RFC 4180 describes it: fields separated by commas,
/// records by CRLF or LF, a field in double quotes may hold commas, line
/// breaks and doubled quotes. A leading byte order mark is skipped; blank
/// lines are skipped.
///
/// - Throws: ``Failure`` (invalid input) for a quote left open, naming the
///   line it opened on.
func parseCSV(_ text: String, name: String) throws -> [CSVRecord] {
    var records: [CSVRecord] = []
    var fields: [String] = []
    var field = ""
    var line = 1
    var recordLine = 1
    var quoted = false
    var quoteLine = 0
    var fieldWasQuoted = false
    var characters = Substring(text)
    if characters.first == "\u{FEFF}" { characters = characters.dropFirst() }

    func endRecord() {
        fields.append(field)
        let blank = fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted
        if !blank { records.append(CSVRecord(line: recordLine, fields: fields)) }
        fields = []
        field = ""
        fieldWasQuoted = false
    }

    var iterator = characters.makeIterator()
    var pending: Character? = nil
    while let character = pending ?? iterator.next() {
        pending = nil
        if quoted {
            if character == "\"" {
                let next = iterator.next()
                if next == "\"" {
                    field.append("\"")
                } else {
                    quoted = false
                    pending = next
                }
            } else {
                if character == "\n" || character == "\r\n" { line += 1 }
                field.append(character)
            }
            continue
        }
        switch character {
        case ",":
            fields.append(field)
            field = ""
            fieldWasQuoted = false
        case "\n", "\r\n", "\r":
            endRecord()
            line += 1
            recordLine = line
        case "\"" where field.isEmpty:
            quoted = true
            fieldWasQuoted = true
            quoteLine = line
        default:
            field.append(character)
        }
    }
    if quoted {
        throw Failure.input("\(name):\(quoteLine): a quoted field is never closed")
    }
    if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
    return records
}
