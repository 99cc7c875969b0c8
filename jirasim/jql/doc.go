// Package jql parses and evaluates the subset of Jira Query Language that sync tools use, for the
// Jira Server/DC emulator. It imports nothing but the standard library.
//
// Use: Parse a query (syntax errors are *Error, worded and positioned as Jira words them), call
// Validate or Problems with the emulator's catalogue, then Match each issue (a Doc) and sort with
// Less using a stable sort.
//
// # Supported subset
//
// Fields, case-insensitive, with aliases: project; key (issuekey, issue); id; issuetype (type);
// status; priority; resolution; labels; summary; description; comment; environment; text;
// assignee; reporter; creator; component; fixVersion; affectedVersion; parent (key or id of a
// sub-task's parent); level (security level name or id); created (createdDate);
// updated (updatedDate); resolved (resolutionDate); duedate (due); custom fields as cf[10001] or
// customfield_10001 (passed to the Doc as "customfield_10001").
//
// Operators: = != > >= < <= IN, NOT IN, ~, !~, IS [NOT] EMPTY|NULL; AND (also & and &&), OR
// (| and ||), NOT (also !), parentheses; precedence NOT > AND > OR. Values: bare words, "double"
// or 'single' quoted strings with the escapes \' \" \t \n \r \\ '\ ' and \uXXXX, EMPTY, NULL,
// lists (nested lists are flattened) and functions (the date functions below, and
// linkedIssues(KEY[, "link description"]) on key, answered by a Doc that is a Linker). WAS and CHANGED (history search) are refused
// with an error that says so.
//
// Date values, read in the caller's zone: "yyyy/MM/dd HH:mm", "yyyy-MM-dd HH:mm", "yyyy/MM/dd",
// "yyyy-MM-dd" (date only = 00:00; one-digit month, day and hour accepted as Java does), periods
// relative to now ("-5m", "-1h", "-2d", "-1w", "4w 2d", "+1d"; w = 7 days, d = 24 hours; no sign
// = future; unquoted values cannot start with + because + is reserved), a number of milliseconds
// since the epoch, and the functions now(), startOf/endOf Day, Week, Month and Year with an
// optional increment "(+/-)n(yMwdhm)" whose unit defaults to the function's own.
//
// # Choices, with their sources
//
// Error messages and positions follow the strings Jira Server asserts in its own func test
// TestJqlParsing (com.atlassian.jira.webtests.ztests.navigator.jql): the "Error in the JQL Query: "
// prefix, "(line L, character C)" with 1-based positions, no position for errors at the end of
// the query, "Expecting a field name at the end of the query.", and so on. The reserved words are
// the list that test copies from JqlStringSupportImpl; the reserved characters are
// { } * / % + ^ $ # @ ? ; . As in Jira's ANTLR lexer the whole query is lexed first, so a lexical
// error anywhere wins over a syntax error before it. Validation messages not covered by that
// test are from Jira reports or are close guesses: "The operator 'is' only supports the values
// EMPTY and NULL.", "A value provided by the function 'now' is invalid for the field 'project'.",
// "Field 'comment' does not support sorting." and the WAS/CHANGED refusal are ours.
//
// Without ORDER BY, results are ordered by key DESC: Jira's SearchSortUtilImpl applies
// DEFAULT_KEY_SORT (issue key, descending) when a query has no sort. (Jira skips it for free-text
// queries to keep Lucene's relevance order; the emulator has no relevance and keeps key DESC.)
// ORDER BY without a direction uses the field's own default, from Jira's NavigableField
// implementations: created, updated, resolved, duedate, priority and status DESC; key and the
// others ASC. Keys sort by project key, then numerically. Priority, status, issue type and
// resolution sort by their configured position (a Doc may implement Ranker; otherwise the
// numeric id stands in), priority DESC putting the most important first. Empty values sort after
// all values ascending, so first descending. Documents equal on every sort key compare equal:
// sort stably to keep the emulator's index order, as Lucene does.
//
// Date comparison: a literal denotes one instant (minute precision, in the caller's zone); the
// stored time is compared with it at full precision, never rounded. So updated >= "10:05"
// includes 10:05:00.000 onward and updated > "10:05" also includes 10:05:30 (it excludes only an
// update at exactly 10:05:00.000), and = matches only that exact instant. This is how Jira builds
// a range query from the literal's instant against indexed values that keep their seconds, and
// it is what sync tools report in practice: a cursor cut to "22:09" still returns issues updated
// 22:09:00-22:09:59, hence their overlap and post-filter. duedate is a calendar date: it is
// compared by day, the stored date's own day against the literal's day in the caller's zone.
//
// Relational key search: key > ABC-10 compares numbers within project ABC only (another
// project's issues never match), as Jira's key range search does. A number where a key is
// expected is an issue id, and key and id behave alike.
//
// Empty fields: != and NOT IN never match an empty field (Jira documents this), while NOT (f = x)
// does. !~ is the negation of ~ and so matches an empty text.
//
// Text search (~) is deliberately simple: text and query are split into lowercase words (runs of
// letters and digits); every query word must occur as a whole word; * and ? are wildcards inside
// a word (login* matches "login" and "logins"); a part in double quotes inside the value
// (summary ~ "\"full screen\"") must occur as consecutive words. Lucene's English stop words are
// ignored, as Jira's analyzer drops them. There is no stemming, no fuzzy (~) or boolean syntax
// inside the value, and no relevance.
//
// Not supported: WAS/CHANGED, currentUser(), membersOf() and other non-date functions (Validate
// reports "Unable to find JQL function 'x()'." and such clauses match nothing), relational
// operators on priority, issue properties, and statusCategory. startOfWeek takes Monday as the
// first day of the week (Jira takes it from the user's locale).
package jql
