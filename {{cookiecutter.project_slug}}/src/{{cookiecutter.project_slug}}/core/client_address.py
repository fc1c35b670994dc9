"""The client's address: the peer's, or the one trusted proxies name in X-Forwarded-For."""

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

IPAddress = IPv4Address | IPv6Address

# What the address is when the server knows no peer (e.g. a Unix socket).
UNKNOWN = "unknown"


def parse_address(value: str) -> IPAddress | None:
    """An IP address, also written as `1.2.3.4:80` or `[2001:db8::1]:443`; None if it is none."""
    host = value.strip()
    port = ""
    if host.startswith("["):
        host, bracket, port = host[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            return None
        port = port.removeprefix(":")
    elif host.count(":") == 1:
        host, _, port = host.partition(":")
    if port and not (port.isascii() and port.isdigit()):
        return None
    try:
        address = ip_address(host)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:1.2.3.4.
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The proxies (addresses or networks) whose X-Forwarded-For is believed."""

    def __init__(self, networks: Iterable[str]) -> None:
        self._networks = tuple(ip_network(network, strict=False) for network in networks)

    def __contains__(self, address: IPAddress) -> bool:
        return any(address in network for network in self._networks)

    def client_address(self, peer: str | None, forwarded_for: Iterable[str] = ()) -> str:
        """The address of the client behind the peer, for logs and rate limits.

        `forwarded_for` holds the X-Forwarded-For header values in order. They are read only when
        the peer is a trusted proxy, from the right (each proxy appends the address it saw), and
        the first untrusted address is the client: whatever lies left of it the client may have
        written itself. A malformed entry stops the walk at the trusted proxy that passed it on.
        A peer that is not an IP address (such as a test client's name) is returned as it is.
        """
        if peer is None:
            return UNKNOWN
        address = parse_address(peer)
        if address is None:
            return peer
        if address not in self:
            return str(address)
        hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
        for hop in reversed(hops):
            forwarded = parse_address(hop)
            if forwarded is None:
                break
            address = forwarded
            if address not in self:
                break
        return str(address)
