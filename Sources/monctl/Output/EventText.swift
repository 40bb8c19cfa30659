import Messages

/// A case event in words, for timelines and acknowledgements.
enum EventText {
    /// The event's kind in a few words with the standard's Chinese term:
    /// "accepted (受理)".
    static func kind(_ kind: CaseEvent.Kind?) -> String {
        guard let kind else { return "no kind" }
        switch kind {
        case .received: return "received (收件)"
        case .accepted: return "accepted (受理)"
        case .intakeRefused: return "refused at intake (不予受理)"
        case .correctionRequested: return "correction requested (补正告知)"
        case .correctionReceived: return "correction received (补正收到)"
        case .stepCompleted(let step):
            let term: String
            switch step.step {
            case .undertake: term = " (承办)"
            case .review: term = " (审核)"
            case .approve: term = " (批准)"
            default: term = ""
            }
            return "\(Choices.step.shortName(step.step)) completed" + term
        case .specialProcedureStarted: return "special procedure started (特别程序)"
        case .specialProcedureEnded: return "special procedure ended"
        case .extensionGranted: return "extension granted (延期)"
        case .feeCharged: return "fee charged (收费)"
        case .concluded: return "concluded (办结)"
        case .delivered: return "delivered (送达)"
        }
    }

    /// What the event says beyond its kind, in one line.
    static func details(_ kind: CaseEvent.Kind?) -> String {
        guard let kind else { return "" }
        var parts: [String] = []
        func add(_ text: String) { if !text.isEmpty { parts.append(text) } }
        switch kind {
        case .received(let received):
            add("item " + received.itemCode)
            if !received.title.isEmpty { add(quote(received.title)) }
            if received.channel != .unspecified {
                add("at the " + Choices.channel.shortName(received.channel))
            }
            if let applicant = received.applicant, !applicant.name.isEmpty {
                add("applicant " + applicant.name)
            }
        case .accepted(let accepted):
            if !accepted.handler.isEmpty { add("by " + accepted.handler) }
        case .intakeRefused(let refused):
            add(refused.reason.isEmpty ? "no reason given" : refused.reason)
            if !refused.handler.isEmpty { add("by " + refused.handler) }
        case .correctionRequested(let request):
            add("missing: " + request.missingMaterials.joined(separator: "; "))
            if !request.handler.isEmpty { add("by " + request.handler) }
        case .correctionReceived(let received):
            add(received.note)
        case .stepCompleted(let step):
            add(Choices.stepOutcome.shortName(step.outcome))
            if !step.handler.isEmpty { add("by " + step.handler) }
            if !step.opinion.isEmpty { add(quote(step.opinion)) }
        case .specialProcedureStarted(let start):
            add(start.procedureID + ": " + Choices.procedure.shortName(start.type))
            add(Format.workingDays(start.grantedDays) + " granted")
            add(start.reason)
        case .specialProcedureEnded(let end):
            add(end.procedureID)
            add(end.result)
            if end.feeFen != 0 { add("fee " + Format.money(end.feeFen)) }
        case .extensionGranted(let grant):
            add(Format.workingDays(grant.days))
            if !grant.approver.isEmpty { add("approved by " + grant.approver) }
            add(grant.reason)
        case .feeCharged(let fee):
            add(fee.feeItem)
            add(Format.money(fee.amountFen))
        case .concluded(let conclusion):
            add(Choices.conclusion.shortName(conclusion.result))
            add(conclusion.reason)
            let certificate = [conclusion.certificateName, conclusion.certificateNumber]
                .filter { !$0.isEmpty }.joined(separator: " ")
            if !certificate.isEmpty { add("certificate " + certificate) }
        case .delivered(let delivery):
            if delivery.method != .unspecified { add(Choices.delivery.shortName(delivery.method)) }
            if !delivery.recipient.isEmpty { add("to " + delivery.recipient) }
        }
        return parts.joined(separator: ", ")
    }
}
