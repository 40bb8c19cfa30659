import Messages
import Services

/// Which roles may call which method: the one table that says who may do
/// what, so that it can be read, reviewed and tested in one place.
///
/// A department writes only its own cases; dashboards only read; only
/// supervisors act on alerts; only administrators change the catalogue and
/// tokens. Finer checks (a department reading only its own cases) happen in
/// the services, which know the department a request concerns.
enum AccessPolicy {
    static let everyone: Set<Role> = [.department, .supervisor, .dashboard, .administrator]
    static let readers: Set<Role> = [.department, .supervisor, .dashboard, .administrator]

    /// Roles allowed per method path. A method missing here is open to no
    /// one, so a new method is refused until it is added deliberately.
    static let allowed: [String: Set<Role>] = {
        var table: [String: Set<Role>] = [:]
        func allow(_ method: MethodInfo, _ roles: Set<Role>) { table[method.path] = roles }

        allow(IntakeService.reportEvents.info, [.department])
        allow(IntakeService.reportEvent.info, [.department])

        allow(CaseService.getCase.info, readers)
        allow(CaseService.listCases.info, readers)
        allow(CaseService.getCaseCounts.info, readers)

        allow(AlertService.watchAlerts.info, readers)
        allow(AlertService.listAlerts.info, readers)
        allow(AlertService.getAlert.info, readers)
        allow(AlertService.issueNotice.info, [.supervisor])
        allow(AlertService.submitFeedback.info, [.department])
        allow(AlertService.closeNotice.info, [.supervisor])
        allow(AlertService.returnNotice.info, [.supervisor])
        allow(AlertService.escalate.info, [.supervisor])
        allow(AlertService.appeal.info, [.department])
        allow(AlertService.decideAppeal.info, [.supervisor])
        allow(AlertService.issueManualCard.info, [.supervisor])

        for method in CatalogueService.descriptor.methods {
            let writes = method.methodName.hasPrefix("Put")
            table[method.path] = writes ? [.administrator] : everyone
        }

        allow(AdminService.getServerInfo.info, everyone.union([.forwarder]))
        allow(AdminService.createToken.info, [.administrator])
        allow(AdminService.listTokens.info, [.administrator])
        allow(AdminService.revokeToken.info, [.administrator])
        allow(AdminService.listAuditRecords.info, [.administrator, .supervisor])
        return table
    }()

    /// Methods anyone may call without a token: the standard health and
    /// reflection services, which generic tools and load balancers use and
    /// which reveal only the published interface standard.
    static let open: Set<String> = {
        var paths = Set<String>()
        for service in [
            GRPCHealthV1.Health.descriptor, GRPCReflectionV1.ServerReflection.descriptor,
            GRPCReflectionV1Alpha.ServerReflection.descriptor,
        ] {
            for method in service.methods { paths.insert(method.path) }
        }
        return paths
    }()
}
