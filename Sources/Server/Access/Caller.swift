import Messages

/// Who is making a call, as their access token says.
public struct Caller: Sendable, Hashable, CustomStringConvertible {
    /// The token's identity (never its secret).
    public var tokenID: String
    /// The token's name: a person or a system ("Supervisor Li").
    public var name: String
    public var role: Role
    /// For a department's token, the department whose cases it may touch.
    public var departmentCode: String

    public init(tokenID: String, name: String, role: Role, departmentCode: String = "") {
        self.tokenID = tokenID
        self.name = name
        self.role = role
        self.departmentCode = departmentCode
    }

    /// The server itself: the rules engine and the scheduler.
    static let engine = Caller(tokenID: "", name: "engine", role: .unspecified)

    /// How the caller appears in the audit record and alert histories.
    public var description: String {
        departmentCode.isEmpty ? name : "\(name) (\(departmentCode))"
    }

    /// Whether this caller sees applicants' and complainants' personal data
    /// in full. Dashboards see it masked.
    var seesPersonalData: Bool {
        role == .supervisor || role == .administrator || role == .department
    }

    /// Whether this caller may read the cases and alerts of `department`.
    func mayRead(department: String) -> Bool {
        role != .department || department == departmentCode
    }
}

extension Role {
    /// The role's name as administrators type it ("supervisor").
    var displayName: String {
        switch self {
        case .department: "department"
        case .supervisor: "supervisor"
        case .dashboard: "dashboard"
        case .administrator: "administrator"
        case .forwarder: "forwarder"
        default: "unknown"
        }
    }
}
