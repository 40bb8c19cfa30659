import Interchange
import Messages

/// The departments and items of the catalogue the load reports against.
struct Fixture {
    /// Department codes, in the catalogue's order.
    let departments: [String]
    /// Each department's items that have a legal limit.
    let items: [String: [Messages.Item]]
    /// Each department's items without a fee standard: a fee on one of these is a
    /// red card (乱收费) at the instant it is charged.
    let feeless: [String: [Messages.Item]]

    init(catalogueFile: String) throws {
        let document = try CatalogueDocument(jsonString: try readText(catalogueFile))
        departments = document.departments.map(\.code)
        var items: [String: [Messages.Item]] = [:]
        var feeless: [String: [Messages.Item]] = [:]
        for item in document.items where item.legalLimitDays > 0 && !item.retired {
            items[item.departmentCode, default: []].append(item)
            if item.feeStandard == nil {
                feeless[item.departmentCode, default: []].append(item)
            }
        }
        for code in departments where items[code] == nil {
            throw BenchError(
                "department \(code) has no item with a legal limit in \(catalogueFile)")
        }
        self.items = items
        self.feeless = feeless
    }

    /// The department stream `number` reports for: streams are spread over the
    /// departments, as each department's system keeps its own stream.
    func department(ofStream number: Int) -> String {
        departments[number % departments.count]
    }
}

/// One stream's events, serialized ahead of the measurement so that making them
/// costs the measured client nothing.
struct StreamScript {
    /// The events in the order they are sent, as protobuf bytes.
    var events: [[UInt8]] = []
    /// For each event that raises a red card at once, by its position in `events`:
    /// the case it concerns.
    var alertCases: [Int: String] = [:]

    /// Cases that run at once on one stream: a department's system reports many
    /// cases interleaved, never one case's events back to back.
    static let openCases = 32

    /// Makes `count` events of whole cases going received, accepted, three steps,
    /// concluded (approved) and delivered; every `feeEvery`-th case (0: none) also
    /// charges a fee on an item without a fee standard, right after acceptance.
    ///
    /// Event ids are time-ordered within the stream (`<tag>-<stream>-<sequence>`)
    /// and events happen one millisecond apart, starting half an hour ago: recent
    /// enough that no event counts as reported late, and no deadline passes
    /// during a run.
    ///
    /// With `openOnly`, each case stops after its acceptance, so that every case
    /// stays open: the load the live counts are measured against.
    init(
        fixture: Fixture, stream: Int, count: Int, feeEvery: Int, tag: String,
        openOnly: Bool = false
    ) {
        let department = fixture.department(ofStream: stream)
        let items = fixture.items[department] ?? []
        let feeless = fixture.feeless[department] ?? []
        let start = wallNanoseconds() / 1_000_000 - 30 * 60 * 1000
        var slots = [Slot](repeating: Slot(), count: Self.openCases)
        var cases = 0
        events.reserveCapacity(count)

        while events.count < count {
            for index in slots.indices where events.count < count {
                if slots[index].isDone {
                    let charges = feeEvery > 0 && cases % feeEvery == feeEvery - 1
                    let choice = charges && !feeless.isEmpty ? feeless : items
                    let item = choice[cases % choice.count]
                    let kinds = Self.lifecycle(item: item, number: cases, charges: charges)
                    slots[index] = Slot(
                        caseID: "\(tag)-\(stream)-\(cases)",
                        kinds: openOnly ? Array(kinds.prefix(2)) : kinds)
                    cases += 1
                }
                let sequence = events.count
                var event = Messages.CaseEvent()
                event.eventID = "\(tag)-\(stream)-" + padded(sequence, 9)
                event.departmentCode = department
                event.caseID = slots[index].caseID
                let milliseconds = start + Int64(sequence)
                event.occurredAt = Timestamp(
                    seconds: milliseconds / 1000, nanos: Int32(milliseconds % 1000) * 1_000_000)
                let kind = slots[index].next()
                event.kind = kind
                if case .feeCharged = kind { alertCases[sequence] = event.caseID }
                events.append(event.serializedBytes())
            }
        }
    }

    /// The scripts of `streams` streams sharing `total` events as evenly as they go.
    static func split(
        _ total: Int, over streams: Int, fixture: Fixture, feeEvery: Int, tag: String,
        openOnly: Bool = false
    ) -> [StreamScript] {
        (0..<streams).map { stream in
            let count = total / streams + (stream < total % streams ? 1 : 0)
            return StreamScript(
                fixture: fixture, stream: stream, count: count, feeEvery: feeEvery, tag: tag,
                openOnly: openOnly)
        }
    }

    /// One open case on the stream: what it still has to report.
    private struct Slot {
        var caseID = ""
        var kinds: [Messages.CaseEvent.Kind] = []
        var position = 0

        var isDone: Bool { position >= kinds.count }

        mutating func next() -> Messages.CaseEvent.Kind {
            defer { position += 1 }
            return kinds[position]
        }
    }

    private static func lifecycle(item: Messages.Item, number: Int, charges: Bool)
        -> [Messages.CaseEvent.Kind]
    {
        let people = [
            "张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强",
        ]
        var applicant = Applicant()
        applicant.type = .person
        applicant.name = people[number % people.count]
        applicant.idType = .residentIDCard
        applicant.idNumber = "330899199" + padded(number % 1_000_000_000, 9)
        applicant.phone = "139" + padded(number % 100_000_000, 8)
        var kinds: [Messages.CaseEvent.Kind] = [
            .received(
                CaseReceived(
                    itemCode: item.code, applicant: applicant,
                    channel: number % 2 == 0 ? .counter : .online,
                    title: "\(applicant.name): \(item.name)")),
            .accepted(CaseAccepted(handler: "Clerk Sun")),
        ]
        if charges {
            kinds.append(.feeCharged(FeeCharged(feeItem: "materials fee", amountFen: 2_000)))
        }
        for (step, handler) in [
            (Step.undertake, "Officer Qian"), (.review, "Section Chief Wu"),
            (.approve, "Director Zheng"),
        ] {
            kinds.append(
                .stepCompleted(
                    StepCompleted(step: step, handler: handler, opinion: "agree", outcome: .pass)))
        }
        kinds.append(
            .concluded(
                CaseConcluded(
                    result: .approved, certificateName: item.name,
                    certificateNumber: "ZS" + padded(number, 8))))
        kinds.append(
            .delivered(CertificateDelivered(method: .inPerson, recipient: "the applicant")))
        return kinds
    }
}

/// `number` in decimal, left-padded with zeros to `width` digits.
func padded(_ number: Int, _ width: Int) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
