// Package zones holds only a test: TestSplitTopologyInNamespaces builds the split topology
// (zone A with Jira A and node A, zone B with Jira B and node B, the relay Jira AB in between)
// in Linux network namespaces with a firewall that drops every connection into a zone from
// outside it, runs real `airlock dev` nodes there, and checks that issues, comments and
// attachments cross both ways while nothing outside a zone can open a connection into it.
// It needs root, `ip netns` and nft; elsewhere it is skipped with the reason (never under CI).
package zones
