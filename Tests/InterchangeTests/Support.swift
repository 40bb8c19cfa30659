import Engine
import Foundation
import Interchange
import Messages
import Testing

/// The official calendar, loaded once for every test.
let official: WorkingCalendar = {
    do { return try WorkingCalendar.official() } catch { fatalError("\(error)") }
}()

/// An instant from China Standard Time text `YYYY-MM-DD hh:mm[:ss]`.
func at(_ text: String) -> Instant {
    var full = text.replacingOccurrences(of: " ", with: "T")
    if full.count == 16 { full += ":00" }
    guard let instant = Instant(iso8601: full + "+08:00") else {
        fatalError("bad instant \(text)")
    }
    return instant
}

/// The timestamp of China Standard Time text `YYYY-MM-DD hh:mm[:ss]`.
func stamp(_ text: String) -> Timestamp {
    Timestamp(at(text))
}

/// A fixture file's text.
func fixture(_ name: String) -> String {
    guard let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil),
        let text = try? String(
            contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    else { fatalError("fixture \(name) is missing") }
    return text
}

/// The demo catalogue shipped with the repository, read from the source tree.
func demoCatalogue() -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    guard
        let text = try? String(
            contentsOf: root.appendingPathComponent("demo/catalogue.json"), encoding: .utf8)
    else { fatalError("demo/catalogue.json is missing") }
    return text
}

/// A well-formed event of case D1/C1 with the given kind, happening at
/// 2026-09-21 09:00 China Standard Time.
func event(
    _ kind: Messages.CaseEvent.Kind?, id: String = "E1", at time: String = "2026-09-21 09:00"
) -> Messages.CaseEvent {
    Messages.CaseEvent(
        eventID: id, departmentCode: "D1", caseID: "C1", occurredAt: stamp(time), kind: kind)
}

/// One well-formed event of every kind, each carrying every field the
/// standard has for it.
let everyKind: [Messages.CaseEvent.Kind] = [
    .received(
        CaseReceived(
            itemCode: "LIC",
            applicant: Messages.Applicant(
                type: .person, name: "张三", idType: .residentIDCard,
                idNumber: "330101199001011234", phone: "13800000000"),
            channel: .online, title: "食品经营许可")),
    .accepted(CaseAccepted(handler: "李四")),
    .intakeRefused(IntakeRefused(reason: "不属于本机关职权范围", handler: "李四")),
    .correctionRequested(
        CorrectionRequested(missingMaterials: ["土地权属证明", "规划设计方案"], handler: "李四")),
    .correctionReceived(CorrectionReceived(note: "材料已补齐")),
    .stepCompleted(
        StepCompleted(step: .review, handler: "王五", opinion: "同意", outcome: .return)),
    .specialProcedureStarted(
        SpecialProcedureStarted(
            procedureID: "P1", type: .expertReview, grantedDays: 10, reason: "专家评审")),
    .specialProcedureEnded(SpecialProcedureEnded(procedureID: "P1", result: "通过", feeFen: 1500)),
    .extensionGranted(ExtensionGranted(days: 5, approver: "王局长", reason: "需现场踏勘")),
    .feeCharged(FeeCharged(feeItem: "工本费", amountFen: 1000)),
    .concluded(
        CaseConcluded(
            result: .approved, reason: "", certificateName: "许可证", certificateNumber: "No.1")),
    .delivered(CertificateDelivered(method: .post, recipient: "张三")),
]

/// A county department and items for the mapping tests.
let catalogue: Catalogue = {
    let county = RegionCode("330106")!
    do {
        return try Catalogue(
            version: 1,
            departments: [
                Engine.Department(code: "D1", name: "Market Regulation Bureau", region: county)
            ],
            items: [
                Engine.Item(
                    code: "LIC", name: "Food business licence", departmentCode: "D1",
                    legalLimit: 20, promisedLimit: 10,
                    stepLimits: [.undertake: 3, .review: 2, .approve: 1],
                    feeStandard: .maximum(fen: 5000), allowedProcedures: [.hearing, .expertReview])
            ])
    } catch { fatalError("\(error)") }
}()

let context = EvaluationContext(catalogue: catalogue, calendar: official)
