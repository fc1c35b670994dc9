"""The client address behind trusted proxies: only what they vouch for in X-Forwarded-For is believed."""

import pytest

from {{ cookiecutter.project_slug }}.core.client_address import UNKNOWN, TrustedProxies

NOBODY = TrustedProxies([])
LOCAL_PROXY = TrustedProxies(["127.0.0.1"])
PROXY_NETWORKS = TrustedProxies(["10.0.0.0/8", "192.168.1.1", "fd00::/8"])


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert NOBODY.client_address("203.0.113.7") == "203.0.113.7"
    assert NOBODY.client_address("203.0.113.7", ["198.51.100.1"]) == "203.0.113.7"


def test_an_untrusted_peer_cannot_name_another_client() -> None:
    assert LOCAL_PROXY.client_address("203.0.113.7", ["198.51.100.1"]) == "203.0.113.7"
    assert PROXY_NETWORKS.client_address("11.0.0.1", ["198.51.100.1"]) == "11.0.0.1"


def test_a_trusted_peer_names_the_client() -> None:
    assert LOCAL_PROXY.client_address("127.0.0.1", ["198.51.100.1"]) == "198.51.100.1"


def test_a_trusted_peer_without_forwarded_for_is_the_client() -> None:
    assert LOCAL_PROXY.client_address("127.0.0.1") == "127.0.0.1"
    assert LOCAL_PROXY.client_address("127.0.0.1", [""]) == "127.0.0.1"


def test_addresses_the_client_wrote_itself_are_ignored() -> None:
    # The client sent "1.1.1.1, 2.2.2.2"; the proxy appended the address it saw.
    assert LOCAL_PROXY.client_address("127.0.0.1", ["1.1.1.1, 2.2.2.2, 198.51.100.1"]) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    forwarded = ["6.6.6.6, 198.51.100.1, 10.1.2.3, 192.168.1.1"]
    assert PROXY_NETWORKS.client_address("10.0.0.5", forwarded) == "198.51.100.1"


def test_several_header_lines_are_one_list() -> None:
    forwarded = ["6.6.6.6, 198.51.100.1", "10.1.2.3"]
    assert PROXY_NETWORKS.client_address("10.0.0.5", forwarded) == "198.51.100.1"


def test_cidr_networks_decide_trust() -> None:
    assert PROXY_NETWORKS.client_address("10.255.255.254", ["198.51.100.1"]) == "198.51.100.1"
    assert PROXY_NETWORKS.client_address("192.168.1.2", ["198.51.100.1"]) == "192.168.1.2"


def test_when_every_hop_is_trusted_the_farthest_is_the_client() -> None:
    assert PROXY_NETWORKS.client_address("10.0.0.5", ["10.9.9.9, 10.1.2.3"]) == "10.9.9.9"


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("fd00::1", ["2001:db8::7"], "2001:db8::7"),
        ("fd00::1", ["2001:DB8:0:0::7"], "2001:db8::7"),
        ("fd00::1", ["[2001:db8::7]:443"], "2001:db8::7"),
        ("10.0.0.1", ["2001:db8::7, fd12::1"], "2001:db8::7"),
        ("fd00::1", ["198.51.100.1:5000"], "198.51.100.1"),
        ("2001:db8::9", ["198.51.100.1"], "2001:db8::9"),
    ],
)
def test_ipv6_and_ports(peer: str, forwarded: list[str], client: str) -> None:
    assert PROXY_NETWORKS.client_address(peer, forwarded) == client


def test_ipv4_mapped_addresses_are_ipv4() -> None:
    assert LOCAL_PROXY.client_address("::ffff:127.0.0.1", ["::ffff:198.51.100.1"]) == "198.51.100.1"


@pytest.mark.parametrize(
    "garbage",
    ["unknown", "not an address", "999.1.1.1", "1.2.3.4.5", "[::1", "<script>", "1.2.3.4:port", "x" * 500],
)
def test_a_malformed_entry_stops_at_the_proxy_that_passed_it_on(garbage: str) -> None:
    forwarded = [f"198.51.100.1, {garbage}, 10.1.2.3"]
    # 10.1.2.3 is trusted; the entry it received is unreadable, so the last address vouched for wins.
    assert PROXY_NETWORKS.client_address("10.0.0.5", forwarded) == "10.1.2.3"
    assert PROXY_NETWORKS.client_address("10.0.0.5", [garbage]) == "10.0.0.5"


def test_empty_entries_are_skipped() -> None:
    assert LOCAL_PROXY.client_address("127.0.0.1", ["198.51.100.1, ,", " "]) == "198.51.100.1"


def test_a_peer_that_is_not_an_address_is_kept_as_it_is() -> None:
    assert LOCAL_PROXY.client_address("testclient", ["198.51.100.1"]) == "testclient"


def test_no_peer_is_unknown() -> None:
    assert LOCAL_PROXY.client_address(None, ["198.51.100.1"]) == UNKNOWN
