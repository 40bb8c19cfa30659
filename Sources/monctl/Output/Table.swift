/// An aligned text table: a header row and rows of cells, each column as
/// wide as its widest cell in terminal columns.
///
/// Chinese names are common in every column that holds a name, and a Han
/// character takes two terminal columns; widths are counted in columns, not
/// characters, so the columns stay aligned.
struct Table {
    /// The column titles, upper case by convention.
    var headers: [String]
    /// The rows, each with one cell per header.
    var rows: [[String]] = []
    /// Columns whose cells are right-aligned (counts and amounts).
    var rightAligned: Set<Int> = []
    /// The widest a cell may be before it is cut with "…"; nil for no limit.
    /// Applies to every column but the last, which is never cut.
    var maximumCellWidth: Int? = 60

    init(_ headers: String..., rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    /// Adds one row.
    mutating func append(_ cells: String...) {
        rows.append(cells)
    }

    /// Adds one row from an array.
    mutating func append(row cells: [String]) {
        rows.append(cells)
    }

    /// The table as lines of text, each ending with a newline; trailing
    /// spaces are trimmed.
    func render() -> String {
        let count = headers.count
        let cells = ([headers] + rows).map { row -> [String] in
            (0..<count).map { column in
                let text = column < row.count ? singleLine(row[column]) : ""
                guard column < count - 1, let maximumCellWidth else { return text }
                return truncate(text, to: maximumCellWidth)
            }
        }
        var widths = [Int](repeating: 0, count: count)
        for row in cells {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], displayWidth(cell))
            }
        }
        var out = ""
        for row in cells {
            var line = ""
            for (column, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[column] - displayWidth(cell))
                let isLast = column == count - 1
                if rightAligned.contains(column) {
                    line += pad + cell
                } else {
                    line += cell + (isLast ? "" : pad)
                }
                if !isLast { line += "  " }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    private func singleLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\t", with: " ")
    }
}

/// Two aligned columns of label and value, for one record's details.
struct Details {
    private var entries: [(String, String)] = []

    /// Adds a line; an empty value is left out.
    mutating func add(_ label: String, _ value: String) {
        guard !value.isEmpty else { return }
        entries.append((label, value))
    }

    /// The lines, labels padded to one width, indented by `indent` spaces.
    func render(indent: Int = 0) -> String {
        let width = entries.map { displayWidth($0.0) }.max() ?? 0
        let prefix = String(repeating: " ", count: indent)
        return entries.map { label, value in
            let pad = String(repeating: " ", count: width - displayWidth(label))
            let continuation = "\n" + prefix + String(repeating: " ", count: width + 2)
            return prefix + label + pad + "  "
                + value.replacingOccurrences(of: "\n", with: continuation)
        }.joined(separator: "\n") + (entries.isEmpty ? "" : "\n")
    }
}

/// The number of terminal columns `text` takes: two for wide characters
/// (Han, kana, Hangul, full-width forms), none for combining marks, one for
/// the rest.
///
/// Terminal colour sequences (`ESC [ ... m`) take no columns.
func displayWidth(_ text: String) -> Int {
    var width = 0
    var inEscape = false
    for scalar in text.unicodeScalars {
        if inEscape {
            // An escape sequence ends with a letter after its parameters.
            if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
            continue
        }
        if scalar == "\u{1B}" {
            inEscape = true
            continue
        }
        width += columns(of: scalar)
    }
    return width
}

private func columns(of scalar: Unicode.Scalar) -> Int {
    let value = scalar.value
    if value < 0x300 { return value < 0x20 ? 0 : 1 }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format: return 0
    default: break
    }
    switch value {
    case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
        0x4E00...0x9FFF, 0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF,
        0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
        0x1F900...0x1F9FF, 0x20000...0x3FFFD:
        return 2
    default:
        return 1
    }
}

/// `text` cut to at most `width` columns, ending in "…" when cut.
func truncate(_ text: String, to width: Int) -> String {
    guard displayWidth(text) > width else { return text }
    var out = ""
    var used = 0
    for character in text {
        let w = displayWidth(String(character))
        if used + w > width - 1 { break }
        out.append(character)
        used += w
    }
    return out + "…"
}
