import Messages
import Services

/// What an administrator does before a test's departments can report.
extension RPCClient {
    /// Loads the demo county's departments and items.
    func loadDemoCatalogue() async throws {
        let document = try demoCatalogue()
        _ = try await unary(
            CatalogueService.putDepartments,
            PutDepartmentsRequest(departments: document.departments))
        _ = try await unary(CatalogueService.putItems, PutItemsRequest(items: document.items))
    }

    /// Creates a token and returns its secret.
    func tokenSecret(_ name: String, _ role: Role, department: String = "") async throws
        -> String
    {
        try await unary(
            AdminService.createToken,
            CreateTokenRequest(name: name, role: role, departmentCode: department)
        ).secret
    }
}
