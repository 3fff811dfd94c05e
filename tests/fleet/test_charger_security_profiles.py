"""OCPP security profiles 1-3 (1.6 Security Whitepaper, the same for 2.0.1) over real websockets and
real TLS on loopback, judged by the application.

Test names carry the OCA's OCPP 1.6 test case ids (Central System side) where one matches.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fleet.charger_security import ChargerSecurity
from fleet.persistence.errors import InvalidValueError
from fleet.site_config import OcppConfig, load_site
from tests.fleet.charger_security_support import (
    CHARGER,
    HANDSHAKE_OK,
    OTHER_CHARGER,
    SecureSite,
    handshake_status,
    refusal_headers,
    secure_charger,
    secure_site,
    tls_refused,
    wall_clock,
)
from tests.fleet.conftest import fast_hasher
from tests.ocpp_server.security_pki import Pki, make_pki
from tests.ocpp_server.support import until

PASSWORD = b"sixteen-or-more!"


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


@pytest.fixture
async def site(database_url: str, pki: Pki) -> AsyncIterator[SecureSite]:
    async with secure_site(database_url, pki.tls_settings()) as running:
        await running.security.set_password(CHARGER, PASSWORD.decode())
        yield running


async def _last_profile(site: SecureSite, charge_point_id: str) -> int | None:
    stored = await site.store.charger_security.credentials(charge_point_id)
    return None if stored is None else stored.last_security_profile


# Profile 1: HTTP Basic over plain ws


async def test_tc_085_csms_basic_authentication_valid_password(site: SecureSite) -> None:
    await site.security.set_minimum_profile(CHARGER, 1)

    async with secure_charger(site.ws_url, CHARGER, password=PASSWORD):
        await until("the connection is recorded", lambda: CHARGER in site.central.connected_ids())

    assert await _last_profile(site, CHARGER) == 1


async def test_a_wrong_password_is_refused_with_401_and_a_basic_challenge(site: SecureSite) -> None:
    await site.security.set_minimum_profile(CHARGER, 1)

    headers = await refusal_headers(site.ws_url, CHARGER, password=b"not-the-password")

    assert headers["www-authenticate"].startswith("Basic")
    assert await handshake_status(site.ws_url, CHARGER, password=b"not-the-password") == 401
    assert CHARGER not in site.central.connected_ids()


async def test_a_missing_password_is_refused_at_profile_1(site: SecureSite) -> None:
    await site.security.set_minimum_profile(CHARGER, 1)

    assert await handshake_status(site.ws_url, CHARGER) == 401
    assert await _last_profile(site, CHARGER) is None


async def test_the_user_name_must_be_the_charge_point_id(site: SecureSite) -> None:
    assert await handshake_status(site.ws_url, CHARGER, password=PASSWORD, username=OTHER_CHARGER) == 401


async def test_a_password_is_checked_even_at_profile_0(site: SecureSite) -> None:
    # A charger that presents a wrong password is refused, whatever its minimum.
    assert await handshake_status(site.ws_url, CHARGER, password=b"not-the-password") == 401
    assert await handshake_status(site.ws_url, CHARGER, password=PASSWORD) == HANDSHAKE_OK
    assert await _last_profile(site, CHARGER) == 1


async def test_a_charger_without_a_stored_password_cannot_use_one(site: SecureSite) -> None:
    assert await handshake_status(site.ws_url, OTHER_CHARGER, password=PASSWORD) == 401


async def test_profile_0_chargers_connect_without_credentials_as_the_demo_does(site: SecureSite) -> None:
    assert await handshake_status(site.ws_url, OTHER_CHARGER) == HANDSHAKE_OK
    assert await _last_profile(site, OTHER_CHARGER) == 0


async def test_unknown_ids_are_still_404(site: SecureSite) -> None:
    assert await handshake_status(site.ws_url, "NOT-ON-SITE", password=PASSWORD) == 404


# Profile 2: TLS 1.2+ with HTTP Basic


async def test_tc_086_csms_tls_server_certificate_valid(site: SecureSite, pki: Pki) -> None:
    await site.security.set_minimum_profile(CHARGER, 2)
    context = pki.client_context()

    async with secure_charger(site.wss_url, CHARGER, password=PASSWORD, tls=context) as charger:
        ssl_object = charger._connection.transport.get_extra_info("ssl_object")
        assert ssl_object.version() in {"TLSv1.2", "TLSv1.3"}
        await until("the connection is recorded", lambda: CHARGER in site.central.connected_ids())

    assert await _last_profile(site, CHARGER) == 2


async def test_profile_2_refuses_plain_ws_with_403(site: SecureSite) -> None:
    await site.security.set_minimum_profile(CHARGER, 2)

    assert await handshake_status(site.ws_url, CHARGER, password=PASSWORD) == 403


async def test_profile_2_over_tls_still_needs_the_password(site: SecureSite, pki: Pki) -> None:
    await site.security.set_minimum_profile(CHARGER, 2)

    assert await handshake_status(site.wss_url, CHARGER, tls=pki.client_context()) == 401
    assert await handshake_status(site.wss_url, CHARGER, password=b"wrong-password!!", tls=pki.client_context()) == 401


async def _speaks_tls_1_1(pki: Pki, client: ssl.SSLContext) -> bool:
    """Whether ``client`` completes a TLS 1.1 handshake with a server that allows it (OpenSSL builds differ)."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.minimum_version = ssl.TLSVersion.TLSv1_1
    server_context.set_ciphers("DEFAULT:@SECLEVEL=0")
    server_context.load_cert_chain(pki.server_cert_path, pki.server_key_path)
    server = await asyncio.start_server(lambda _reader, writer: writer.close(), "127.0.0.1", 0, ssl=server_context)
    try:
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client)
        version = writer.get_extra_info("ssl_object").version()
        writer.close()
        return bool(version == "TLSv1.1")
    except (ssl.SSLError, ConnectionResetError):
        return False
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
async def test_a_tls_1_1_client_is_refused(site: SecureSite, pki: Pki) -> None:
    context = pki.client_context(maximum_version=ssl.TLSVersion.TLSv1_1)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    if not await _speaks_tls_1_1(pki, context):
        pytest.skip("this OpenSSL build cannot make a TLS 1.1 handshake, so there is no TLS 1.1 client to refuse")

    assert await tls_refused(site.wss_url, CHARGER, password=PASSWORD, tls=context)
    assert await _last_profile(site, CHARGER) is None


# Profile 3: TLS with client certificates


async def test_tc_087_csms_tls_client_certificate_valid(site: SecureSite, pki: Pki) -> None:
    await site.security.set_minimum_profile(CHARGER, 3)
    context = pki.client_context(pki.client_certificate(CHARGER))

    assert await handshake_status(site.wss_url, CHARGER, tls=context) == HANDSHAKE_OK
    assert await _last_profile(site, CHARGER) == 3


async def test_an_unknown_self_signed_client_certificate_fails_the_tls_handshake(site: SecureSite, pki: Pki) -> None:
    context = pki.client_context(pki.client_certificate(CHARGER, self_signed=True))

    assert await tls_refused(site.wss_url, CHARGER, tls=context)
    assert await _last_profile(site, CHARGER) is None


async def test_a_certificate_of_another_charger_is_refused(site: SecureSite, pki: Pki) -> None:
    context = pki.client_context(pki.client_certificate(OTHER_CHARGER))

    assert await handshake_status(site.wss_url, CHARGER, tls=context) == 403
    # Also where the charger's minimum would let it in without any certificate.
    assert await handshake_status(site.wss_url, CHARGER, password=PASSWORD, tls=context) == 403


async def test_profile_3_refuses_basic_auth_without_a_certificate(site: SecureSite, pki: Pki) -> None:
    await site.security.set_minimum_profile(CHARGER, 3)

    assert await handshake_status(site.wss_url, CHARGER, password=PASSWORD, tls=pki.client_context()) == 403
    assert await handshake_status(site.ws_url, CHARGER, password=PASSWORD) == 403


# OCPP 2.0.1 stations: the same three profiles, judged the same way


async def test_tc_a_201_stations_meet_the_same_three_profiles(site: SecureSite, pki: Pki) -> None:
    v201 = "ocpp2.0.1"
    wrong = b"wrong-password!!"
    # Profile 1: Basic over plain ws.
    assert await handshake_status(site.ws_url, CHARGER, password=wrong, subprotocol=v201) == 401
    assert await handshake_status(site.ws_url, CHARGER, password=PASSWORD, subprotocol=v201) == HANDSHAKE_OK
    # Profile 2: TLS and Basic.
    await site.security.set_minimum_profile(CHARGER, 2)
    tls = pki.client_context()
    assert await handshake_status(site.ws_url, CHARGER, password=PASSWORD, subprotocol=v201) == 403
    assert await handshake_status(site.wss_url, CHARGER, password=PASSWORD, tls=tls, subprotocol=v201) == HANDSHAKE_OK
    assert await _last_profile(site, CHARGER) == 2
    # Profile 3: TLS with the station's own client certificate.
    await site.security.set_minimum_profile(CHARGER, 3)
    certified = pki.client_context(pki.client_certificate(CHARGER))
    assert await handshake_status(site.wss_url, CHARGER, password=PASSWORD, tls=tls, subprotocol=v201) == 403
    assert await handshake_status(site.wss_url, CHARGER, tls=certified, subprotocol=v201) == HANDSHAKE_OK
    assert await _last_profile(site, CHARGER) == 3


# The minimum profile


async def test_the_site_file_sets_the_minimum_and_the_api_value_overrides_it(database_url: str, pki: Pki) -> None:
    async with secure_site(database_url, pki.tls_settings()) as running:
        strict = running.site.model_copy(
            update={
                "charge_points": tuple(
                    cp.model_copy(update={"security_profile": 1}) if cp.id == CHARGER else cp
                    for cp in running.site.charge_points
                )
            }
        )
        security = ChargerSecurity(strict, running.store.charger_security, fast_hasher(), wall_clock)
        assert await security.minimum_profile(CHARGER) == 1
        assert await security.minimum_profile(OTHER_CHARGER) == 0
        await security.set_minimum_profile(CHARGER, 0)
        assert await security.minimum_profile(CHARGER) == 0
        await security.set_minimum_profile(CHARGER, None)
        assert await security.minimum_profile(CHARGER) == 1


async def test_a_minimum_outside_0_to_3_is_refused(site: SecureSite) -> None:
    with pytest.raises(InvalidValueError):
        await site.security.set_minimum_profile(CHARGER, 4)


async def test_lowering_the_minimum_lets_the_charger_back_on_plain_ws(site: SecureSite) -> None:
    await site.security.set_minimum_profile(CHARGER, 2)
    assert await handshake_status(site.ws_url, CHARGER, password=PASSWORD) == 403

    await site.security.set_minimum_profile(CHARGER, 1)

    assert await handshake_status(site.ws_url, CHARGER, password=PASSWORD) == HANDSHAKE_OK


# Chargers the site file does not list (auto-registration)


async def test_with_auto_registration_unlisted_chargers_need_the_sites_unlisted_profile(
    database_url: str, pki: Pki
) -> None:
    milan = load_site()
    site_file = milan.model_copy(update={"ocpp": OcppConfig(auto_registration=True, unlisted_security_profile=3)})
    newcomer = "NEW-CHARGER-1"
    async with secure_site(database_url, pki.tls_settings(), site_file) as site:
        assert await handshake_status(site.ws_url, newcomer) == 403
        assert await handshake_status(site.wss_url, newcomer, tls=pki.client_context()) == 403
        # A certificate from the site's CA naming the newcomer: admitted (as Pending, to be listed).
        context = pki.client_context(pki.client_certificate(newcomer))
        assert await handshake_status(site.wss_url, newcomer, tls=context) == HANDSHAKE_OK
        assert await _last_profile(site, newcomer) == 3


async def test_by_default_unlisted_chargers_are_admitted_pending_without_credentials(
    database_url: str, pki: Pki
) -> None:
    site_file = load_site().model_copy(update={"ocpp": OcppConfig(auto_registration=True)})
    async with secure_site(database_url, pki.tls_settings(), site_file) as site:
        assert await handshake_status(site.ws_url, "NEW-CHARGER-2") == HANDSHAKE_OK
