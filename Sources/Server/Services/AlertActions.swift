import Engine
import Interchange
import Messages
import Services
import Store
import Transport

/// The supervision actions on alerts, each checked against the caller's role
/// (the access policy), the alert's department (a department acts only on
/// its own alerts) and the alert's state (the engine's lifecycle), and each
/// recorded with who did it, when, and an audit entry, in one commit.
extension AlertEndpoint {
    func registerActions(into router: inout MethodRouter) {
        router.registerUnary(AlertService.issueNotice) { request, context in
            try await act(request.alertID, context, note: request.instructions) {
                view, caller, now, rules in
                let due = try rules.feedbackDue(
                    days: request.feedbackDays, department: view.departmentCode, from: now)
                return (
                    .issueNotice(number: request.alertID, feedbackDue: due.instant),
                    { notice in
                        notice = SupervisionNotice()
                        notice.issuedAt = Timestamp(now)
                        notice.issuedBy = caller.description
                        notice.instructions = request.instructions
                        notice.feedbackDueDate = due.date
                        notice.feedbackDueAt = Timestamp(due.instant)
                    }, due.instant)
            }
        }
        router.registerUnary(AlertService.submitFeedback) { request, context in
            try await act(
                request.alertID, context, note: request.explanation,
                validate: { try require(request.explanation, "explanation") }
            ) { _, caller, now, _ in
                (
                    .submitFeedback(text: request.explanation),
                    { notice in
                        notice.explanation = request.explanation
                        notice.rectification = request.rectification
                        notice.feedbackAt = Timestamp(now)
                        notice.feedbackBy = caller.description
                    }, nil)
            }
        }
        router.registerUnary(AlertService.closeNotice) { request, context in
            try await act(request.alertID, context, note: request.comment) { _, _, _, _ in
                (.close(note: request.comment), { _ in }, nil)
            }
        }
        router.registerUnary(AlertService.returnNotice) { request, context in
            try await act(
                request.alertID, context, note: request.reason,
                validate: { try require(request.reason, "reason") }
            ) { view, _, now, rules in
                let due = try rules.feedbackDue(
                    days: request.feedbackDays, department: view.departmentCode, from: now)
                return (
                    .returnFeedback(reason: request.reason, feedbackDue: due.instant),
                    { notice in
                        notice.timesReturned += 1
                        notice.feedbackDueDate = due.date
                        notice.feedbackDueAt = Timestamp(due.instant)
                        notice.feedbackAt = nil
                    }, due.instant)
            }
        }
        router.registerUnary(AlertService.escalate) { request, context in
            try await act(
                request.alertID, context, note: request.reason,
                validate: { try require(request.reason, "reason") }
            ) { _, _, _, _ in
                (.escalate(reason: request.reason), { _ in }, nil)
            }
        }
        router.registerUnary(AlertService.appeal) { request, context in
            try await act(
                request.alertID, context, note: request.grounds,
                validate: { try require(request.grounds, "grounds") }
            ) { _, _, _, _ in
                (.appeal(reason: request.grounds), { _ in }, nil)
            }
        }
        router.registerUnary(AlertService.decideAppeal) { request, context in
            let action: LifecycleAction? = switch request.decision {
            case .uphold: .upholdAppeal(reason: request.reason)
            case .revoke: .revoke(reason: request.reason)
            default: nil
            }
            return try await act(
                request.alertID, context, note: request.reason,
                validate: {
                    try require(request.reason, "reason")
                    guard action != nil else {
                        throw RPCError(
                            code: .invalidArgument,
                            message: "decision: expected APPEAL_DECISION_UPHOLD or "
                                + "APPEAL_DECISION_REVOKE")
                    }
                }
            ) { _, _, _, _ in
                // `validate` refused a request without a decision.
                (action!, { _ in }, nil)
            }
        }
        router.registerUnary(AlertService.issueManualCard) { request, context in
            try await issueManualCard(request, context)
        }
    }

    /// What an action needs from the rules: the feedback due date.
    struct ActionRules {
        let context: EvaluationContext

        func feedbackDue(days: UInt32, department: String, from now: Instant) throws
            -> (instant: Instant, date: String)
        {
            let instant: Instant
            if days == 0 {
                instant = Supervision.feedbackDue(
                    issuedAt: now, departmentCode: department, context: context
                ).value
            } else {
                guard days <= 60 else {
                    throw RPCError(
                        code: .invalidArgument,
                        message: "feedback_days: \(days) is more than 60 working days")
                }
                instant = context.calendar.workingDay(Int(days), after: now.localDate)
                    .value.endInstant
            }
            return (instant, instant.adding(milliseconds: -1).localDate.iso8601)
        }
    }

    typealias ActionPlan = (
        LifecycleAction, (inout SupervisionNotice) -> Void, Instant?
    )

    /// Runs one supervision action in one commit. The caller is authorized
    /// before `validate` checks the request, so that a caller without the
    /// right learns nothing about what a valid request looks like.
    private func act(
        _ alertID: String, _ context: ServerContext, note: String,
        validate: () throws -> Void = {},
        plan: @escaping @Sendable (Messages.Alert, Caller, Instant, ActionRules) throws
            -> ActionPlan
    ) async throws -> AlertView {
        let caller = try await runtime.authenticator.authorize(context)
        try validate()
        guard !alertID.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "alert_id: expected an alert's id")
        }
        let core = runtime.core
        let clock = runtime.clock
        let region = runtime.region
        let path = context.path
        let view = try await runtime.write { transaction -> AlertView in
            let now = clock.now()
            let book = AlertBook(transaction: transaction, region: region)
            guard let current = try book.existingView(alertID)?.alert else {
                throw SupervisionRefusal.notFound(alertID)
            }
            guard caller.mayRead(department: current.departmentCode) else {
                throw SupervisionRefusal.notFound(alertID)
            }
            let (action, updateNotice, feedbackDue) = try plan(
                current, caller, now, ActionRules(context: core.context))
            let view = try book.perform(
                action, on: alertID, by: caller, at: now, note: note, notice: updateNotice)

            switch action {
            case .issueNotice, .returnFeedback:
                core.trackFeedback(alertID: alertID, dueAt: feedbackDue)
            case .submitFeedback:
                core.trackFeedback(alertID: alertID, dueAt: nil)
                if let due = current.notice?.feedbackDueAt, Instant(due) < now {
                    try transaction.addCounters(
                        department: current.departmentCode,
                        month: SupervisionCore.month(of: now),
                        deltas: [.noticesAnsweredLate: 1])
                }
            case .revoke:
                core.trackFeedback(alertID: alertID, dueAt: nil)
                let counter: CounterName = current.level == .red
                    ? .redCards : current.level == .yellow ? .yellowCards : .warnings
                try transaction.addCounters(
                    department: current.departmentCode,
                    month: SupervisionCore.month(of: Instant(current.dueAt ?? Timestamp())),
                    deltas: [counter: -1])
            case .close:
                core.trackFeedback(alertID: alertID, dueAt: nil)
            case .escalate:
                core.trackFeedback(alertID: alertID, dueAt: nil)
            default:
                break
            }
            try transaction.appendAudit(
                Audit.record(caller, action: path, target: "alert \(alertID)", at: now))
            return view
        }
        return view
    }

    private func issueManualCard(_ request: IssueManualCardRequest, _ context: ServerContext)
        async throws -> AlertView
    {
        let caller = try await runtime.authenticator.authorize(context)
        try require(request.departmentCode, "department_code")
        try require(request.reason, "reason")
        guard let level = AlertLevel(request.level) else {
            throw RPCError(
                code: .invalidArgument,
                message: "level: expected LEVEL_WARNING, LEVEL_YELLOW or LEVEL_RED")
        }
        guard runtime.catalogue.current.document.departments
            .contains(where: { $0.code == request.departmentCode })
        else {
            throw RPCError(
                code: .invalidArgument,
                message: "department_code: \"\(request.departmentCode)\" is not in the catalogue")
        }
        let clock = runtime.clock
        let region = runtime.region
        let path = context.path
        return try await runtime.write { transaction in
            let now = clock.now()
            // Every manual card is its own alert: its subject carries the
            // instant it was issued, so two cards never merge.
            let alert = Engine.Alert.manual(
                scope: .caseOf(
                    CaseKey(departmentCode: request.departmentCode, caseID: request.caseID)),
                level: level, subject: "manual-\(now.millisecondsSinceEpoch)",
                reason: request.reason, by: caller.description, at: now)
            let book = AlertBook(transaction: transaction, region: region)
            _ = try book.raise(alert, at: now, actor: caller.description, note: request.reason)
            let counter: CounterName = level == .red
                ? .redCards : level == .yellow ? .yellowCards : .warnings
            try transaction.addCounters(
                department: request.departmentCode, month: SupervisionCore.month(of: now),
                deltas: [counter: 1])
            try transaction.appendAudit(
                Audit.record(
                    caller, action: path,
                    target: "department \(request.departmentCode) case \(request.caseID)",
                    at: now))
            guard let view = try book.existingView(alert.id.rawValue) else {
                throw SupervisionRefusal.notFound(alert.id.rawValue)
            }
            return view
        }
    }
}

/// Refuses a request whose required text field is empty.
func require(_ value: String, _ field: String) throws {
    if value.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" }) {
        throw RPCError(code: .invalidArgument, message: "\(field): required, and was empty")
    }
}
