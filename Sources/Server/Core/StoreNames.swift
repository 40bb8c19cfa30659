import Store

// The Store module has a class named Store, which hides its module's name:
// `StoredAlert` would look inside the class. These names say which
// record is meant where Messages or Engine have a type of the same name.

/// An alert's row in the store.
typealias StoredAlert = AlertRecord
/// One entry of the store's audit record.
typealias StoredAuditRecord = AuditRecord
/// The store's filter over alerts and the alert log.
typealias StoredAlertFilter = AlertFilter
