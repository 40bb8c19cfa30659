import Engine
import Messages

extension Engine.Complaint {
    /// Reads a complaint's timeline (投诉处理) for the engine's time rules:
    /// registration, acceptance, declining and conclusion.
    ///
    /// The standard's complaint has no instant of its own for a decline: a
    /// declined complaint carries the instant it was declined in
    /// `concluded_at`, which is when its handling ended.
    ///
    /// - Throws: ``ValidationError`` naming every problem: an identifier
    ///   empty or over 64 characters, no `received_at`, an instant missing
    ///   for the state (`accepted_at` once accepted, `concluded_at` once
    ///   declined or concluded), instants out of order, an unknown state,
    ///   a text over 4,000 characters.
    public init(_ message: Messages.Complaint) throws(ValidationError) {
        var list = ProblemList()
        list.identifier(message.complaintID, at: "complaint_id")
        list.identifier(message.departmentCode, at: "department_code")
        list.identifier(message.caseID, at: "case_id", required: false)
        if let complainant = message.complainant {
            list.text(complainant.name, at: "complainant.name")
            list.identifier(complainant.phone, at: "complainant.phone", required: false)
            list.identifier(complainant.idNumber, at: "complainant.id_number", required: false)
        }
        list.text(message.content, at: "content")
        list.text(message.declineReason, at: "decline_reason")
        list.text(message.reply, at: "reply")
        list.known(message.state, at: "state")

        let received = instant(message.receivedAt, "received_at", required: true, into: &list)
        let needsAcceptance = message.state == .accepted || message.state == .concluded
        let needsEnd = message.state == .declined || message.state == .concluded
        let accepted = instant(
            message.acceptedAt, "accepted_at", required: needsAcceptance, into: &list)
        let ended = instant(message.concludedAt, "concluded_at", required: needsEnd, into: &list)
        if let received, let accepted, accepted < received {
            list.add(
                "accepted_at",
                "is \(accepted.iso8601), before the complaint was received at "
                    + "\(received.iso8601); expected an instant after it")
        }
        if let ended, let start = accepted ?? received, ended < start {
            list.add(
                "concluded_at",
                "is \(ended.iso8601), before \(start.iso8601); expected an instant after "
                    + "the complaint was \(accepted == nil ? "received" : "accepted")")
        }
        try list.check()

        let declined = message.state == .declined
        self.init(
            id: message.complaintID, departmentCode: message.departmentCode,
            caseKey: message.caseID.isEmpty
                ? nil : CaseKey(departmentCode: message.departmentCode, caseID: message.caseID),
            registeredAt: received!, acceptedAt: declined ? nil : accepted,
            declinedAt: declined ? ended : nil, concludedAt: declined ? nil : ended)
    }
}

extension Messages.Complaint {
    /// This complaint with its timeline taken from the engine: the state,
    /// the instants, the due instants and the time alerts that hold. What
    /// the engine does not model (complainant, content, finding, reply,
    /// rating) stays as it is.
    ///
    /// - Parameters:
    ///   - complaint: the engine's timeline of this complaint.
    ///   - evaluation: its evaluation at the instant shown.
    ///   - context: the catalogue and calendar, for the due instants.
    ///   - regionCode: the region where its alerts were raised.
    public func updating(
        from complaint: Engine.Complaint, evaluation: ComplaintEvaluation,
        context: EvaluationContext, regionCode: String = ""
    ) -> Messages.Complaint {
        var result = self
        result.complaintID = complaint.id
        result.departmentCode = complaint.departmentCode
        result.caseID = complaint.caseKey?.caseID ?? ""
        result.receivedAt = Timestamp(complaint.registeredAt)
        result.acceptedAt = complaint.acceptedAt.map(Timestamp.init)
        result.concludedAt = (complaint.declinedAt ?? complaint.concludedAt).map(Timestamp.init)
        if complaint.declinedAt != nil {
            result.state = .declined
        } else if complaint.concludedAt != nil {
            result.state = .concluded
        } else if complaint.acceptedAt != nil {
            result.state = .accepted
        } else {
            result.state = .registered
        }

        let settings = context.catalogue.settings(forItem: nil)
        let region = context.catalogue.departments[complaint.departmentCode]?.region ?? .national
        func due(_ limit: Int, after start: Instant) -> Timestamp {
            let day = context.calendar.workingDay(limit, after: start.localDate, in: region)
            return Timestamp(day.value.endInstant)
        }
        result.acceptDueAt = due(settings.complaintAcceptanceLimit, after: complaint.registeredAt)
        result.concludeDueAt = complaint.acceptedAt.map {
            due(settings.complaintConclusionLimit, after: $0)
        }
        result.alerts = evaluation.alerts.map { Messages.Alert($0, regionCode: regionCode) }
        return result
    }
}

/// An optional instant field read for the engine, with its problems.
private func instant(
    _ timestamp: Timestamp?, _ field: String, required: Bool, into list: inout ProblemList
) -> Instant? {
    guard let timestamp else {
        if required { list.add(field, "is not set; expected an instant") }
        return nil
    }
    guard (0...999_999_999).contains(timestamp.nanos) else {
        list.add(field + ".nanos", "is \(timestamp.nanos); expected 0 to 999999999")
        return nil
    }
    let value = Instant(timestamp)
    guard value >= MessageBounds.earliestInstant else {
        list.add(
            field,
            "is \(timestamp.rfc3339), before 2000-01-01 China Standard Time; expected the "
                + "instant it happened")
        return nil
    }
    return value
}
