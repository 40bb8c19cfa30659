import Engine
import Messages

extension Messages.CaseEvent {
    /// The structural problems that keep this event from being recorded, in
    /// field order; empty when the event can be recorded.
    ///
    /// An event is refused only when it cannot be recorded meaningfully: an
    /// identifier empty or over 64 characters, no instant or an impossible
    /// one, no kind, a required enum left at 0 or unknown, a count or amount
    /// out of range, a procedure without its id, a receipt without its item,
    /// a text over 4,000 characters. Anything else is evidence and goes to
    /// the engine, whose rules raise their alerts (an unknown item, a refusal
    /// without a reason, an event out of order).
    ///
    /// - Parameter reportedAt: when the server received the event; an event
    ///   may not claim to have happened more than a day after it.
    public func validationProblems(reportedAt: Instant) -> [FieldProblem] {
        var list = ProblemList()
        list.identifier(eventID, at: "event_id")
        list.identifier(departmentCode, at: "department_code")
        list.identifier(caseID, at: "case_id")
        checkOccurredAt(reportedAt: reportedAt, into: &list)

        guard let kind else {
            list.add(
                "kind",
                "is not set; expected exactly one of received, accepted, intake_refused, "
                    + "correction_requested, correction_received, step_completed, "
                    + "special_procedure_started, special_procedure_ended, extension_granted, "
                    + "fee_charged, concluded or delivered")
            return list.problems
        }
        switch kind {
        case .received(let received):
            list.identifier(received.itemCode, at: "received.item_code")
            if let applicant = received.applicant {
                list.text(applicant.name, at: "received.applicant.name")
                list.identifier(
                    applicant.idNumber, at: "received.applicant.id_number", required: false)
                list.identifier(applicant.phone, at: "received.applicant.phone", required: false)
            }
            list.text(received.title, at: "received.title")

        case .accepted(let accepted):
            list.text(accepted.handler, at: "accepted.handler")

        case .intakeRefused(let refused):
            list.text(refused.reason, at: "intake_refused.reason")
            list.text(refused.handler, at: "intake_refused.handler")

        case .correctionRequested(let request):
            let field = "correction_requested.missing_materials"
            if request.missingMaterials.count > MessageBounds.listLength {
                list.add(
                    field,
                    "has \(request.missingMaterials.count) entries; expected at most "
                        + "\(MessageBounds.listLength)")
            }
            for (index, material) in request.missingMaterials.enumerated() {
                list.text(material, at: FieldPath.index(field, index))
            }
            list.text(request.handler, at: "correction_requested.handler")

        case .correctionReceived(let received):
            list.text(received.note, at: "correction_received.note")

        case .stepCompleted(let step):
            list.required(step.step, at: "step_completed.step")
            list.text(step.handler, at: "step_completed.handler")
            list.text(step.opinion, at: "step_completed.opinion")
            list.required(step.outcome, at: "step_completed.outcome")

        case .specialProcedureStarted(let start):
            list.identifier(start.procedureID, at: "special_procedure_started.procedure_id")
            list.required(start.type, at: "special_procedure_started.type")
            list.days(
                start.grantedDays, at: "special_procedure_started.granted_days", minimum: 1)
            list.text(start.reason, at: "special_procedure_started.reason")

        case .specialProcedureEnded(let end):
            list.identifier(end.procedureID, at: "special_procedure_ended.procedure_id")
            list.text(end.result, at: "special_procedure_ended.result")
            list.amount(end.feeFen, at: "special_procedure_ended.fee_fen")

        case .extensionGranted(let grant):
            // More days than the item allows is a red card, not a malformed
            // event; only a count no extension could have is refused.
            list.days(grant.days, at: "extension_granted.days", minimum: 1)
            list.text(grant.approver, at: "extension_granted.approver")
            list.text(grant.reason, at: "extension_granted.reason")

        case .feeCharged(let fee):
            list.text(fee.feeItem, at: "fee_charged.fee_item")
            list.amount(fee.amountFen, at: "fee_charged.amount_fen")

        case .concluded(let conclusion):
            list.required(conclusion.result, at: "concluded.result")
            list.text(conclusion.reason, at: "concluded.reason")
            list.text(conclusion.certificateName, at: "concluded.certificate_name")
            list.text(conclusion.certificateNumber, at: "concluded.certificate_number")

        case .delivered(let delivery):
            list.text(delivery.recipient, at: "delivered.recipient")
        }
        return list.problems
    }

    private func checkOccurredAt(reportedAt: Instant, into list: inout ProblemList) {
        guard let occurredAt else {
            list.add("occurred_at", "is not set; expected the instant the event happened")
            return
        }
        guard (0...999_999_999).contains(occurredAt.nanos) else {
            list.add("occurred_at.nanos", "is \(occurredAt.nanos); expected 0 to 999999999")
            return
        }
        let earliest = Timestamp(MessageBounds.earliestInstant)
        if occurredAt < earliest {
            list.add(
                "occurred_at",
                "is \(occurredAt.rfc3339), before 2000-01-01 China Standard Time; expected "
                    + "the instant the event happened")
            return
        }
        let latest = Timestamp(reportedAt.adding(milliseconds: MessageBounds.clockSkewMilliseconds))
        if occurredAt > latest {
            list.add(
                "occurred_at",
                "is \(occurredAt.rfc3339), more than a day after the event was reported at "
                    + "\(Timestamp(reportedAt).rfc3339); expected the instant the event "
                    + "happened, at most \(latest.rfc3339)")
        }
    }
}
