import Glibc

/// The command line: a command word, then `--name value` pairs.
struct Arguments {
    let command: String
    private var values: [String: String] = [:]

    init(_ words: ArraySlice<String>) {
        command = words.first ?? "help"
        var rest = words.dropFirst().makeIterator()
        while let flag = rest.next() {
            guard flag.hasPrefix("--"), let value = rest.next() else {
                say("ServerBench: expected --name value, got \"\(flag)\"")
                exit(2)
            }
            values[String(flag.dropFirst(2))] = value
        }
    }

    func string(_ name: String) -> String? { values[name] }

    func required(_ name: String) -> String {
        guard let value = values[name] else {
            say("ServerBench \(command): --\(name) is required")
            exit(2)
        }
        return value
    }

    func integer(_ name: String, default fallback: Int) -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text) else {
            say("ServerBench \(command): --\(name) is \"\(text)\"; expected a whole number")
            exit(2)
        }
        return value
    }
}

/// Writes a line to standard output at once: the script reads these lines from a
/// pipe while the program still runs.
func say(_ line: String) {
    let text = line + "\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
}

/// Nanoseconds on the monotonic clock. Every instant the benchmark compares (a send,
/// an acknowledgement, an alert's arrival at a watcher) is taken in this process
/// from this clock, so differences between them are meaningful.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// Nanoseconds since the Unix epoch, for the instants written into events.
func wallNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// CPU seconds (user + system) this process has used.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// The value below which `fraction` of the sorted values lie, in milliseconds.
func percentileMilliseconds(_ sorted: [Int64], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, Int(Double(sorted.count) * fraction))
    return Double(sorted[index]) / 1e6
}

/// A number with a fixed count of decimals, without Foundation.
func fixed(_ value: Double, _ decimals: Int = 2) -> String {
    guard value.isFinite else { return "nan" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (abs(value) * scale).rounded()
    let whole = Int(rounded / scale)
    var text = (value < 0 && rounded > 0 ? "-" : "") + String(whole)
    if decimals > 0 {
        let fraction = String(Int(rounded) - whole * Int(scale))
        text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
    return text
}

/// Reads a whole text file.
func readText(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else {
        throw BenchError("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes a whole text file.
func writeText(_ text: String, to path: String) throws {
    guard let file = fopen(path, "w") else {
        throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    let bytes = Array(text.utf8)
    guard fwrite(bytes, 1, bytes.count, file) == bytes.count else {
        throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}

/// A failure of the benchmark itself, in words.
struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
