import Messages

/// The values of one proto enum as the command line names them: the proto
/// name without its prefix, lowercased, with dashes (`LEVEL_RED` is `red`,
/// `SPECIAL_PROCEDURE_TYPE_EXPERT_REVIEW` is `expert-review`).
///
/// Input accepts the short name or the full proto name, in any case. Tables
/// show the short name, so what a table shows can be typed back as a filter.
struct EnumChoices<E: ProtoEnum>: Sendable {
    /// The proto names' common prefix, e.g. `LEVEL_`.
    let prefix: String
    /// What one value is called in messages ("level", "conclusion result").
    let noun: String

    /// Every value except 0, in declaration order.
    var values: [E] { E.allCases.filter { $0.rawValue != 0 } }

    /// The short names of every value except 0.
    var names: [String] { values.map(shortName) }

    /// The short name of a value; the number for one this build does not
    /// know, and "-" for 0.
    func shortName(_ value: E) -> String {
        guard value.rawValue != 0 else { return "-" }
        guard let proto = value.protoName else { return "\(value.rawValue)" }
        let body = proto.hasPrefix(prefix) ? String(proto.dropFirst(prefix.count)) : proto
        return body.lowercased().replacingOccurrences(of: "_", with: "-")
    }

    /// Reads a value by short or proto name.
    func parse(_ text: String, name: String) throws(Failure) -> E {
        let upper = text.uppercased().replacingOccurrences(of: "-", with: "_")
        if let value = E(protoName: upper) ?? E(protoName: prefix + upper),
            value.rawValue != 0
        {
            return value
        }
        throw invalidValue(
            name, text,
            "is not a \(noun); expected \(listing(names))"
                + didYouMean(text.lowercased(), among: names))
    }
}

/// The enums the command line names, in one place so that every command
/// spells them alike.
enum Choices {
    static let level = EnumChoices<Level>(prefix: "LEVEL_", noun: "level")
    static let rule = EnumChoices<Rule>(prefix: "RULE_", noun: "rule")
    static let step = EnumChoices<Step>(prefix: "STEP_", noun: "step")
    static let stepOutcome = EnumChoices<StepOutcome>(prefix: "STEP_OUTCOME_", noun: "outcome")
    static let procedure = EnumChoices<SpecialProcedureType>(
        prefix: "SPECIAL_PROCEDURE_TYPE_", noun: "special procedure type")
    static let role = EnumChoices<Role>(prefix: "ROLE_", noun: "role")
    static let applicantType = EnumChoices<ApplicantType>(
        prefix: "APPLICANT_TYPE_", noun: "applicant type")
    static let idType = EnumChoices<IdType>(prefix: "ID_TYPE_", noun: "kind of identity document")
    static let channel = EnumChoices<Channel>(prefix: "CHANNEL_", noun: "channel")
    static let conclusion = EnumChoices<ConclusionResult>(
        prefix: "CONCLUSION_RESULT_", noun: "conclusion result")
    static let delivery = EnumChoices<DeliveryMethod>(
        prefix: "DELIVERY_METHOD_", noun: "delivery method")
    static let caseState = EnumChoices<CaseState>(prefix: "CASE_STATE_", noun: "case state")
    static let deadline = EnumChoices<DeadlineKind>(prefix: "DEADLINE_KIND_", noun: "deadline")
    static let alertStatus = EnumChoices<AlertStatus>(
        prefix: "ALERT_STATUS_", noun: "alert status")
    static let appealStatus = EnumChoices<AppealStatus>(
        prefix: "APPEAL_STATUS_", noun: "appeal status")
    static let appealDecision = EnumChoices<AppealDecision>(
        prefix: "APPEAL_DECISION_", noun: "decision")
    static let transition = EnumChoices<TransitionKind>(
        prefix: "TRANSITION_KIND_", noun: "transition")
    static let itemKind = EnumChoices<ItemKind>(prefix: "ITEM_KIND_", noun: "item kind")
    static let ackStatus = EnumChoices<AckStatus>(prefix: "ACK_STATUS_", noun: "status")
    static let complaintChannel = EnumChoices<ComplaintChannel>(
        prefix: "COMPLAINT_CHANNEL_", noun: "complaint channel")
    static let complaintState = EnumChoices<ComplaintState>(
        prefix: "COMPLAINT_STATE_", noun: "complaint state")
    static let finding = EnumChoices<ComplaintFinding>(
        prefix: "COMPLAINT_FINDING_", noun: "finding")
    static let satisfaction = EnumChoices<Satisfaction>(
        prefix: "SATISFACTION_", noun: "rating")
    static let periodKind = EnumChoices<PeriodKind>(prefix: "PERIOD_KIND_", noun: "period")
    static let grade = EnumChoices<Grade>(prefix: "GRADE_", noun: "grade")
}
