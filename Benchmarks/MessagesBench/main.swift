// Times encoding and decoding a typical case event through the Swift message
// layer, against protobuf-c alone on the same bytes, measured in the same run.
//
//   swift run -c release MessagesBench [iterations]
//
// The peer is the floor: protobuf-c packing a C struct it already has and
// unpacking into malloc'd memory. The ratio is what the Swift layer (building
// the C struct from Swift values, converting back, UTF-8 checks) costs on top.

import CProtobufC
import CProtos
import Glibc
import Messages

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 200_000
let rounds = 7

let event = CaseEvent(
    eventID: "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", revision: 0,
    departmentCode: "330101-LAND", caseID: "2026-000123",
    occurredAt: Timestamp(seconds: 1_767_605_400, nanos: 250_000_000),
    kind: .received(CaseReceived(
        itemCode: "330101-001-0007",
        applicant: Applicant(type: .person, name: "张三", idType: .residentIDCard,
                             idNumber: "330101199001011234", phone: "13800000000"),
        channel: .counter, title: "建设用地规划许可证核发")))
let bytes = event.serializedBytes()

func now() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

/// The median over `rounds` of nanoseconds per operation.
func measure(_ body: () -> Int) -> Double {
    var samples: [Double] = []
    var sink = 0
    for _ in 0..<rounds {
        let start = now()
        for _ in 0..<iterations { sink &+= body() }
        samples.append(Double(now() - start) / Double(iterations))
    }
    if sink == 42 { print("") }  // keeps the work from being optimised away
    return samples.sorted()[rounds / 2]
}

let swiftEncode = measure { event.serializedBytes().count }
let swiftDecode = measure { (try? CaseEvent(serializedBytes: bytes))?.revision == 0 ? 1 : 0 }
let swiftBoth = measure {
    (try? CaseEvent(serializedBytes: event.serializedBytes()))?.caseID.utf8.count ?? 0
}

// The peer: protobuf-c on its own struct.
let cEvent = bytes.withUnsafeBufferPointer {
    monitor__v1__case_event__unpack(nil, $0.count, $0.baseAddress)!
}
let cBase = UnsafeRawPointer(cEvent).assumingMemoryBound(to: ProtobufCMessage.self)
var buffer = [UInt8](repeating: 0, count: 4096)
let cEncode = measure {
    let size = protobuf_c_message_get_packed_size(cBase)
    return buffer.withUnsafeMutableBufferPointer { protobuf_c_message_pack(cBase, $0.baseAddress) }
        + size
}
let cDecode = measure {
    bytes.withUnsafeBufferPointer { b in
        let m = monitor__v1__case_event__unpack(nil, b.count, b.baseAddress)!
        let revision = Int(m.pointee.revision)
        monitor__v1__case_event__free_unpacked(m, nil)
        return revision
    }
}
let cBoth = cEncode + cDecode

let jsonEncode = measure { event.jsonString().utf8.count }
let json = event.jsonString()
let jsonDecode = measure { (try? CaseEvent(jsonString: json))?.revision == 0 ? 1 : 0 }

func row(_ name: String, _ swift: Double, _ peer: Double?) {
    let swiftText = String(Int(swift.rounded()))
    let peerText = peer.map { String(Int($0.rounded())) } ?? "-"
    let ratio = peer.map { String(Int((swift / $0 * 100).rounded())) + "%" } ?? "-"
    print("| \(name) | \(swiftText) | \(peerText) | \(ratio) |")
}

print("typical CaseEvent: \(bytes.count) bytes; \(iterations) iterations x \(rounds) rounds,")
print("median ns per operation")
print("")
print("| operation | Messages (ns) | protobuf-c alone (ns) | Messages / protobuf-c |")
print("| --- | ---: | ---: | ---: |")
row("encode", swiftEncode, cEncode)
row("decode", swiftDecode, cDecode)
row("encode + decode", swiftBoth, cBoth)
row("JSON encode", jsonEncode, nil)
row("JSON decode", jsonDecode, nil)
print("")
print("encode + decode: \(Int(1e9 / swiftBoth)) events/s on one core")
