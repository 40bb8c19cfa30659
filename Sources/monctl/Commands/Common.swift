import Foundation
import Messages

extension Invocation {
    /// Resolves the settings and runs `body` with a connection, closing it
    /// afterwards.
    func withConnection<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let connection = Connection(settings: try Settings.resolve(self))
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// The paging options' values.
    func paging(defaultLimit: Int = 100) throws -> Paging {
        let all = flag("all")
        let limit: Int? = try integer("limit", in: 1...1_000_000)
        if all && limit != nil { throw usage("give --limit or --all, not both") }
        return Paging(
            limit: all ? nil : (limit ?? defaultLimit), pageToken: option("page-token") ?? "")
    }
}

/// The options every list that the server pages takes.
enum PagingOptions {
    static let all: [Option] = [
        .value("limit", "n", "Show at most this many (default 100)."),
        .flag("all", "Show every one, fetching page after page."),
        .value("page-token", "token", "Continue from where an earlier list stopped."),
    ]
}

/// How much of a paged list to fetch.
struct Paging: Sendable {
    /// The most entries to show; nil for all.
    var limit: Int?
    /// Where to start; empty for the beginning.
    var pageToken: String

    /// Fetches pages until the limit or the end, returning the entries and
    /// the token to continue from ("" at the end).
    ///
    /// `fetch` gets a page token and a page size, and returns a page's
    /// entries and the next page's token.
    func collect<Entry: Sendable>(
        _ fetch: (String, UInt32) async throws -> ([Entry], String)
    ) async throws -> (entries: [Entry], next: String) {
        var entries: [Entry] = []
        var token = pageToken
        repeat {
            let wanted = limit.map { $0 - entries.count } ?? 1000
            let (page, next) = try await fetch(token, UInt32(min(1000, max(1, wanted))))
            entries += page
            token = next
            if page.isEmpty { break }
        } while !token.isEmpty && (limit.map { entries.count < $0 } ?? true)
        if let limit, entries.count > limit {
            // A server may answer with more than the page size asked for;
            // what is cut here cannot be resumed by token, so say nothing
            // about a continuation beyond the limit.
            entries = Array(entries.prefix(limit))
        }
        return (entries, token)
    }
}

/// Prints the note that a list was cut short and how to see the rest.
func noteMore(_ next: String, _ invocation: Invocation, noun: String) {
    guard !next.isEmpty else { return }
    invocation.output.note(
        "more \(noun) remain: add --page-token \(next) to continue, or --all for every one")
}

/// Prints the note that a list is empty, on standard error so that a pipe
/// gets nothing.
func noteEmpty(_ invocation: Invocation, _ text: String) {
    invocation.output.note(text)
}

/// Reads a file given on the command line, or standard input for "-".
func readInputFile(_ path: String, what: String) throws -> [UInt8] {
    if path == "-" {
        return Array(FileHandle.standardInput.readDataToEndOfFile())
    }
    let expanded = (path as NSString).expandingTildeInPath
    guard let data = FileManager.default.contents(atPath: expanded) else {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) {
            throw Failure.input(
                isDirectory.boolValue
                    ? "\(quote(path)) is a directory; expected \(what)"
                    : "cannot read \(quote(path)) (\(what)): permission denied")
        }
        throw Failure.input("\(quote(path)) does not exist; expected \(what)")
    }
    return Array(data)
}

/// Reads one message from a JSON file, failing with the file's name and the
/// JSON path of the offending value.
func readMessage<M: ProtoMessage>(_ type: M.Type, from path: String, what: String) throws -> M {
    let bytes = try readInputFile(path, what: what)
    do {
        return try M(jsonUTF8: bytes)
    } catch let error as JSONDecodingError {
        throw Failure.input("\(path): \(error)")
    }
}

/// "1 event" or "3 events".
func counted(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
}
