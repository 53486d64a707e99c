//! What the devices of a namespace carry, over rtnetlink: their addresses, the routes over
//! them, and the kernel's own route lookup.

use std::net::IpAddr;

use netlink_packet_core::{Parseable, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::route::RouteMessage;
use netlink_packet_route::RouteNetlinkMessage;

use crate::error::Result;
use crate::handle::Handle;
use crate::sys::NlError;

/// The address `message` gives its device: `IFA_LOCAL` where the kernel sends it (on a
/// point-to-point address `IFA_ADDRESS` is the peer's), else `IFA_ADDRESS`.
pub(crate) fn address_of(message: &AddressMessage) -> Option<IpAddr> {
    let find = |local: bool| {
        message.attributes.iter().find_map(|a| match a {
            AddressAttribute::Local(a) if local => Some(*a),
            AddressAttribute::Address(a) if !local => Some(*a),
            _ => None,
        })
    };
    find(true).or_else(|| find(false))
}

/// `RTM_GETADDR` of every address of every family: sent with `NLM_F_DUMP`.
pub(crate) fn get_addresses() -> RouteNetlinkMessage {
    RouteNetlinkMessage::GetAddress(AddressMessage::default())
}

/// `RTM_GETROUTE` of every route of every family and table: sent with `NLM_F_DUMP`.
pub(crate) fn get_routes() -> RouteNetlinkMessage {
    RouteNetlinkMessage::GetRoute(RouteMessage::default())
}

impl Handle {
    /// Every address of the namespace, of both families (one `RTM_GETADDR` dump).
    pub(crate) fn addresses(&mut self) -> Result<Vec<AddressMessage>> {
        let replies = self
            .route
            .request(get_addresses(), NLM_F_DUMP)
            .map_err(|err| self.refusal(err, "cannot list addresses"))?;
        Ok(replies
            .into_iter()
            .filter_map(|reply| match reply {
                RouteNetlinkMessage::NewAddress(message) => Some(message),
                _ => None,
            })
            .collect())
    }

    /// Every route of the namespace's main table, of both families (one `RTM_GETROUTE`
    /// dump).
    pub(crate) fn routes(&mut self) -> Result<Vec<RouteMessage>> {
        let replies = self
            .route
            .request(get_routes(), NLM_F_DUMP)
            .map_err(|err| self.refusal(err, "cannot list routes"))?;
        Ok(replies
            .into_iter()
            .filter_map(|reply| match reply {
                RouteNetlinkMessage::NewRoute(message) => Some(message),
                _ => None,
            })
            .collect())
    }

    /// [`Handle::route_to`] of each of `requests`, many per `sendmsg`.
    pub(crate) fn routes_to(
        &mut self,
        requests: impl IntoIterator<Item = RouteMessage>,
    ) -> Vec<Option<RouteMessage>> {
        let requests = requests.into_iter().map(RouteNetlinkMessage::GetRoute);
        self.route
            .request_many_replies(requests, NLM_F_REQUEST, |body| {
                RouteMessage::parse(body).map_err(NlError::decode)
            })
            .into_iter()
            .map(|reply| reply.ok().flatten())
            .collect()
    }

    /// The kernel's answer to a route lookup (`ip route get`), if it has one.
    pub(crate) fn route_to(&mut self, request: RouteMessage) -> Option<RouteMessage> {
        let replies = self
            .route
            .request(RouteNetlinkMessage::GetRoute(request), NLM_F_REQUEST)
            .ok()?;
        replies.into_iter().find_map(|reply| match reply {
            RouteNetlinkMessage::NewRoute(route) => Some(route),
            _ => None,
        })
    }
}
