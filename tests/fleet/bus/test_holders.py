"""Which gateway holds which charger, as the controller works it out."""

from __future__ import annotations

from fleet.bus.codec import GatewayAlive
from fleet.bus.holders import LOST_AFTER_S, RECLAIM_HOLDOFF_S, ChargerHolders


class Ticks:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_a_connect_makes_the_gateway_the_holder_and_a_later_one_moves_it() -> None:
    holders = ChargerHolders(Ticks())
    holders.connected("CP1", "gw-a")
    holders.connected("CP1", "gw-b")
    assert holders.holder("CP1") == "gw-b"
    assert not holders.disconnected("CP1", "gw-a")
    assert holders.connected_ids() == {"CP1"}
    assert holders.disconnected("CP1", "gw-b")
    assert holders.connected_ids() == frozenset()


def test_a_restarted_controller_learns_the_holders_from_the_gateways_words() -> None:
    holders = ChargerHolders(Ticks())
    holders.connected("CP1", "gw-b")
    assert holders.heard(GatewayAlive("gw-a", ("CP1", "CP2", "CP3"))) == ["CP2", "CP3"]
    assert holders.heard(GatewayAlive("gw-a", ("CP1", "CP2", "CP3"))) == []
    assert holders.holder("CP1") == "gw-b"
    assert holders.holder("CP2") == holders.holder("CP3") == "gw-a"


def test_a_word_sent_before_a_disconnect_does_not_bring_the_charger_back() -> None:
    ticks = Ticks()
    holders = ChargerHolders(ticks)
    holders.connected("CP1", "gw-a")
    holders.disconnected("CP1", "gw-a")
    holders.heard(GatewayAlive("gw-a", ("CP1",)))
    assert holders.holder("CP1") is None
    ticks.now_s += RECLAIM_HOLDOFF_S + 0.1
    holders.heard(GatewayAlive("gw-a", ("CP1",)))
    assert holders.holder("CP1") == "gw-a"


def test_a_silent_gateway_is_lost_with_its_chargers_and_only_them() -> None:
    ticks = Ticks()
    holders = ChargerHolders(ticks)
    holders.heard(GatewayAlive("gw-a", ("CP1", "CP2")))
    holders.heard(GatewayAlive("gw-b", ("CP3",)))
    ticks.now_s += LOST_AFTER_S - 1
    holders.heard(GatewayAlive("gw-b", ("CP3",)))
    holders.connected("CP2", "gw-b")  # moved before gw-a was given up
    assert holders.lost() == {}
    ticks.now_s += 2
    assert holders.lost() == {"gw-a": ["CP1"]}
    assert holders.connected_ids() == {"CP2", "CP3"}
    assert holders.gateways() == {"gw-b"}
    assert holders.lost() == {}
