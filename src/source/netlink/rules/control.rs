//! Adding, deleting and listing kernel rules over the socket.

use super::Rule;
use crate::source::netlink::control::Expect;
use crate::source::netlink::error::{NetlinkError, Request};
use crate::source::netlink::socket::AuditSocket;
use crate::source::netlink::uapi::{AUDIT_ADD_RULE, AUDIT_DEL_RULE, AUDIT_LIST_RULES};

impl AuditSocket {
    /// Adds a rule at the end of its list (at the head for `-A` rules).
    /// The kernel refuses a rule it already has (`EEXIST`).
    pub fn add_rule(&mut self, rule: &Rule) -> Result<(), NetlinkError> {
        let data = rule.to_rule_data()?;
        self.transact(Request::AddRule, AUDIT_ADD_RULE, &data, Expect::Ack)
            .map(drop)
    }

    /// Deletes a rule equal to `rule` (`ENOENT` if the kernel has none).
    pub fn delete_rule(&mut self, rule: &Rule) -> Result<(), NetlinkError> {
        let data = rule.to_rule_data()?;
        self.transact(Request::DeleteRule, AUDIT_DEL_RULE, &data, Expect::Ack)
            .map(drop)
    }

    /// The rules the kernel has, in list order.
    pub fn list_rules(&mut self) -> Result<Vec<Rule>, NetlinkError> {
        let replies = self.transact(Request::ListRules, AUDIT_LIST_RULES, &[], Expect::Dump)?;
        replies
            .iter()
            .map(|d| Rule::from_rule_data(d).map_err(NetlinkError::from))
            .collect()
    }
}
