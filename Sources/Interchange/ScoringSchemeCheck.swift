import Engine
import Messages

extension ScoringScheme {
    /// The default monthly scoring scheme (绩效评估量化标准), modelled on
    /// published municipal schemes: start at 100; a yellow card costs 5, a
    /// red card 10, every 3 warnings 3, a substantiated complaint 5, a
    /// supervision notice answered late 2; late reporting 1 per whole percent
    /// of events, at most 5; a bonus of 1 once 10% of cases conclude early,
    /// and 1 more for each further 10%; excellent from 90, good from 80,
    /// pass from 60.
    public static let standard = ScoringScheme(
        name: "Default scheme", effectiveFrom: "2026-01", baseScore: 100, yellowCardPoints: 5,
        redCardPoints: 10, warningsPerDeduction: 3, warningDeductionPoints: 3,
        substantiatedComplaintPoints: 5, lateFeedbackPoints: 2,
        lateReportingPointsPerPercent: 1, lateReportingCapPoints: 5,
        earlyBonusThresholdPercent: 10, earlyBonusStepPercent: 10, earlyBonusPoints: 1,
        excellentFrom: 90, goodFrom: 80, passFrom: 60)

    /// The problems that keep this scheme from being published, in field
    /// order; empty when it can be.
    ///
    /// Every field of a scheme is given (proto3 sends no "not given" for
    /// them), so a zero is a zero: the base score must be positive, the
    /// warnings per deduction at least 1, points and percentages not
    /// negative, percentages at most 100, and the grade thresholds in
    /// order (excellent above good above pass). The version and publication
    /// instant are the server's and are not checked.
    public var validationProblems: [FieldProblem] {
        var list = ProblemList()
        list.text(name, at: "name")
        let month = effectiveFrom.split(separator: "-", omittingEmptySubsequences: false)
        if month.count != 2 || month[0].count != 4 || month[1].count != 2
            || LocalDate(iso8601: effectiveFrom + "-01") == nil
        {
            list.add(
                "effective_from", "\(quoted(effectiveFrom)) is not a month YYYY-MM, e.g. 2026-01")
        }
        if !(baseScore.isFinite && baseScore > 0) {
            list.add("base_score", "is \(baseScore); expected a positive score such as 100")
        }
        let points: [(String, Double)] = [
            ("yellow_card_points", yellowCardPoints), ("red_card_points", redCardPoints),
            ("warning_deduction_points", warningDeductionPoints),
            ("substantiated_complaint_points", substantiatedComplaintPoints),
            ("late_feedback_points", lateFeedbackPoints),
            ("late_reporting_points_per_percent", lateReportingPointsPerPercent),
            ("late_reporting_cap_points", lateReportingCapPoints),
        ]
        for (field, value) in points where !(value.isFinite && value >= 0) {
            list.add(field, "is \(value); expected 0 or more points")
        }
        if warningsPerDeduction == 0 {
            list.add("warnings_per_deduction", "is 0; expected 1 or more warnings")
        }
        for (field, value) in [
            ("early_bonus_threshold_percent", earlyBonusThresholdPercent),
            ("early_bonus_step_percent", earlyBonusStepPercent),
        ] where !(value.isFinite && value >= 0 && value <= 100) {
            list.add(field, "is \(value); expected a percentage from 0 to 100")
        }
        if earlyBonusPoints > 0 && earlyBonusStepPercent == 0 {
            list.add(
                "early_bonus_step_percent",
                "is 0 while early_bonus_points is \(earlyBonusPoints); expected the share of "
                    + "cases each further bonus needs, e.g. 10")
        }
        if !(earlyBonusPoints.isFinite && earlyBonusPoints >= 0) {
            list.add("early_bonus_points", "is \(earlyBonusPoints); expected 0 or more points")
        }
        if !(passFrom.isFinite && passFrom >= 0) {
            list.add("pass_from", "is \(passFrom); expected a score of 0 or more")
        }
        if !(goodFrom.isFinite && goodFrom > passFrom) {
            list.add("good_from", "is \(goodFrom); expected a score above pass_from \(passFrom)")
        }
        if !(excellentFrom.isFinite && excellentFrom > goodFrom) {
            list.add(
                "excellent_from",
                "is \(excellentFrom); expected a score above good_from \(goodFrom)")
        }
        return list.problems
    }
}
