"""The relational schema, as typed ORM classes.

The ``*Row`` classes never leave ``fleet.persistence``: the store turns them into the frozen records
of ``records``. Constraint names are fixed here (explicitly or through the naming convention) so that
the Alembic migrations can create and later alter them by name on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fleet.persistence.utc_datetime import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY, so the 64-bit key is plain INTEGER there
# (which SQLite stores in up to 8 bytes anyway).
BigIntegerKey = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), float: Double(), dict[str, Any]: JSON()}


class ChargePointRow(Base):
    __tablename__ = "charge_points"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    vendor: Mapped[str | None] = mapped_column(String)
    model: Mapped[str | None] = mapped_column(String)
    serial_number: Mapped[str | None] = mapped_column(String)
    firmware_version: Mapped[str | None] = mapped_column(String)
    ocpp_version: Mapped[str | None] = mapped_column(String)
    connected: Mapped[bool] = mapped_column(default=False)
    connected_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    booted_at: Mapped[datetime | None]


class ConnectorRow(Base):
    __tablename__ = "connectors"

    charge_point_id: Mapped[str] = mapped_column(
        String, ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String)
    error_code: Mapped[str] = mapped_column(String)
    status_at: Mapped[datetime]


class VehicleRow(Base):
    __tablename__ = "vehicles"
    __table_args__ = (
        UniqueConstraint("id_tag", name="uq_vehicles_id_tag"),
        UniqueConstraint("iso15118_id", name="uq_vehicles_iso15118_id"),
        CheckConstraint("vehicle_class IN ('car', 'van')", name="vehicle_class"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    fleet: Mapped[str] = mapped_column(String)
    vehicle_class: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    id_tag: Mapped[str] = mapped_column(String)
    battery_kwh: Mapped[float]
    max_ac_kw: Mapped[float]
    max_dc_kw: Mapped[float]
    iso15118_id: Mapped[str | None] = mapped_column(String)
    """The vehicle's ISO 15118 identity (EVCCID / contract id) for Plug & Charge, when it has one."""


class SiteFileVehicleRow(Base):
    """A vehicle id the site file has added to the fleet, once: afterwards the API owns the vehicle."""

    __tablename__ = "site_file_vehicles"

    vehicle_id: Mapped[str] = mapped_column(String, primary_key=True)


class VehicleIdTagRow(Base):
    """A vehicle's further RFID cards; its first one is ``VehicleRow.id_tag``."""

    __tablename__ = "vehicle_id_tags"
    __table_args__ = (Index("ix_vehicle_id_tags_vehicle_id", "vehicle_id"),)

    id_tag: Mapped[str] = mapped_column(String, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(String, ForeignKey("vehicles.id", ondelete="CASCADE"))


class BookingRow(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_vehicle_id_created_at", "vehicle_id", "created_at"),
        CheckConstraint("(energy_needed_kwh IS NULL) <> (target_soc IS NULL)", name="one_need"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[str] = mapped_column(String, ForeignKey("vehicles.id", ondelete="CASCADE"))
    departure_at: Mapped[datetime]
    energy_needed_kwh: Mapped[float | None]
    priority: Mapped[float]
    created_at: Mapped[datetime]
    target_soc: Mapped[float | None]
    """A target state of charge (0-1] instead of ``energy_needed_kwh``: exactly one of them is set."""


class TransactionRow(Base):
    """One charging session; ``id`` is the OCPP transactionId, a 32-bit integer in OCPP 1.6."""

    __tablename__ = "transactions"
    __table_args__ = (
        # A StartTransaction retried by the charger carries the same four values: the constraint
        # makes the retry find the first row instead of opening a second session.
        UniqueConstraint("charge_point_id", "connector_id", "id_tag", "started_at", name="uq_transactions_start"),
        # A unique index rather than a constraint: SQLite adds an index in place, where a constraint
        # would rebuild the table, and dropping the old one (foreign keys on) would unlink its meter values.
        Index(
            "uq_transactions_charger_transaction_id",
            "charge_point_id",
            "charger_transaction_id",
            unique=True,
        ),
        Index("ix_transactions_stopped_at", "stopped_at"),
        Index("ix_transactions_started_at", "started_at"),
        # Never reuse an id, even of a deleted row: chargers may still hold it.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String)
    connector_id: Mapped[int] = mapped_column(Integer)
    id_tag: Mapped[str] = mapped_column(String)
    vehicle_id: Mapped[str | None] = mapped_column(String, ForeignKey("vehicles.id", ondelete="SET NULL"))
    meter_start_kwh: Mapped[float]
    started_at: Mapped[datetime]
    meter_stop_kwh: Mapped[float | None]
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(String)
    last_energy_register_kwh: Mapped[float | None]
    last_power_kw: Mapped[float | None]
    last_soc_percent: Mapped[float | None]
    last_sample_at: Mapped[datetime | None]
    reservation_id: Mapped[int | None] = mapped_column(Integer)
    """The reservation the StartTransaction said it used (OCPP 1.6 reservationId)."""
    charger_transaction_id: Mapped[str | None] = mapped_column(String)
    """OCPP 2.0.1's transactionId, chosen by the charger; NULL for 1.6, where ``id`` is the one sent."""


class EvChargingNeedsRow(Base):
    """What the vehicle of a transaction last asked for over ISO 15118; a new report replaces it."""

    __tablename__ = "ev_charging_needs"

    transaction_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("transactions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    reported_at: Mapped[datetime]
    requested_energy_transfer: Mapped[str] = mapped_column(String)
    departure_at: Mapped[datetime | None]
    energy_amount_kwh: Mapped[float | None]
    max_power_kw: Mapped[float | None]
    min_current_a: Mapped[float | None]
    max_current_a: Mapped[float | None]
    max_voltage_v: Mapped[float | None]
    soc_percent: Mapped[float | None]
    capacity_kwh: Mapped[float | None]
    full_soc_percent: Mapped[float | None]
    register_at_report_kwh: Mapped[float]
    """The transaction's energy register when the vehicle reported: what it asked for shrinks by
    what the meter counts after."""


class ExternalChargingLimitRow(Base):
    """A limit someone else set on a charger (an EMS, the grid operator), standing until cleared."""

    __tablename__ = "external_charging_limits"
    __table_args__ = (CheckConstraint("limit_kw >= 0", name="limit_kw"),)

    charge_point_id: Mapped[str] = mapped_column(String, primary_key=True)
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """The EVSE, 0 for the whole charging station."""
    source: Mapped[str] = mapped_column(String, primary_key=True)
    """Who set it (ChargingLimitSourceEnumType): each source's limit stands and ends on its own."""
    limit_kw: Mapped[float]
    grid_critical: Mapped[bool]
    set_at: Mapped[datetime]


class MeterValueRow(Base):
    __tablename__ = "meter_values"
    __table_args__ = (
        UniqueConstraint(
            "charge_point_id",
            "connector_id",
            "measurand",
            "phase",
            "measured_at",
            name="uq_meter_values_sample",
        ),
        Index("ix_meter_values_transaction_id_measured_at", "transaction_id", "measured_at"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String)
    connector_id: Mapped[int] = mapped_column(Integer)
    transaction_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("transactions.id", ondelete="SET NULL"))
    measurand: Mapped[str] = mapped_column(String)
    phase: Mapped[str] = mapped_column(String)
    """'' when the sample is not per phase (NULL would defeat the unique constraint)."""
    value: Mapped[float]
    measured_at: Mapped[datetime]


class ScheduleRow(Base):
    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String)
    termination: Mapped[str] = mapped_column(String)
    objective_eur: Mapped[float | None]
    solve_time_s: Mapped[float]
    unmet_energy_kwh: Mapped[float]
    body: Mapped[dict[str, Any]]


class SiteSampleRow(Base):
    __tablename__ = "site_samples"

    measured_at: Mapped[datetime] = mapped_column(primary_key=True)
    ev_power_kw: Mapped[float]
    grid_import_kw: Mapped[float | None]
    pv_kw: Mapped[float | None]
    base_load_kw: Mapped[float | None]


class AccountRow(Base):
    """Who may call the API: a person (password flow) or a machine (client-credentials flow)."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("kind IN ('user', 'client')", name="kind"),
        CheckConstraint("role IN ('fleet_manager', 'operator', 'admin')", name="role"),
        CheckConstraint("(role = 'fleet_manager') = (fleet IS NOT NULL)", name="fleet_scope"),
    )

    name: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)
    fleet: Mapped[str | None] = mapped_column(String)
    """The fleet a fleet manager is limited to; NULL for the other roles."""
    secret_hash: Mapped[str] = mapped_column(String)
    """Argon2id hash (PHC string) of the password or client secret; never the secret itself."""
    created_at: Mapped[datetime]


class AccessTokenRow(Base):
    """Every bearer token issued, so that one can be revoked before it expires."""

    __tablename__ = "access_tokens"
    __table_args__ = (Index("ix_access_tokens_account_name", "account_name"),)

    token_id: Mapped[str] = mapped_column(String, primary_key=True)
    account_name: Mapped[str] = mapped_column(String, ForeignKey("accounts.name", ondelete="CASCADE"))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class AuditRow(Base):
    """One command or change made through the API: who, what, when, with which payload."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String)
    """The account name, NULL when the request carried no valid token."""
    role: Mapped[str | None] = mapped_column(String)
    method: Mapped[str] = mapped_column(String)
    path: Mapped[str] = mapped_column(String)
    status_code: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class IdempotentAnswerRow(Base):
    """The stored answer to a POST sent with an Idempotency-Key, replayed when the key comes back."""

    __tablename__ = "idempotent_answers"

    actor: Mapped[str] = mapped_column(String, primary_key=True)
    key: Mapped[str] = mapped_column(String, primary_key=True)
    request_hash: Mapped[str] = mapped_column(String)
    """SHA-256 of method, path and body: the same key with another request is a conflict."""
    status_code: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String)
    body: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]


class GridLimitRow(Base):
    """A temporary import limit below the connection's, as a grid operator sends it (e.g. a flexibility call)."""

    __tablename__ = "grid_limits"
    __table_args__ = (
        Index("ix_grid_limits_ends_at", "ends_at"),
        CheckConstraint("limit_kw >= 0", name="limit_kw"),
        CheckConstraint("ends_at > starts_at", name="window"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    limit_kw: Mapped[float]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String)
    created_by: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]


class ChargerLogRow(Base):
    """One line of a charger's log for the operator: a status it reported, or a problem flagged."""

    __tablename__ = "charger_log"
    __table_args__ = (
        Index("ix_charger_log_charge_point_id_at", "charge_point_id", "at"),
        Index("ix_charger_log_flagged_at", "flagged", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String)
    """FirmwareStatus, SecurityEvent, ... or the kind of problem found in what the charger sent."""
    status: Mapped[str] = mapped_column(String)
    flagged: Mapped[bool]
    """True for what the operator should look at: security events and data that did not add up."""
    request_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String)


class ChargerCredentialsRow(Base):
    """How a charge point must authenticate (OCPP 1.6 security profiles) and how it last did."""

    __tablename__ = "charger_credentials"
    __table_args__ = (
        CheckConstraint("minimum_security_profile BETWEEN 0 AND 3", name="minimum_security_profile"),
        CheckConstraint("last_security_profile BETWEEN 0 AND 3", name="last_security_profile"),
    )

    charge_point_id: Mapped[str] = mapped_column(String, primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String)
    """Argon2id hash (PHC string) of the HTTP Basic password (AuthorizationKey); never the password."""
    password_set_at: Mapped[datetime | None]
    minimum_security_profile: Mapped[int | None] = mapped_column(Integer)
    """Set by an administrator; NULL leaves the site file's value in force."""
    last_security_profile: Mapped[int | None] = mapped_column(Integer)
    """The profile the latest admitted connection used."""
    last_connected_at: Mapped[datetime | None]


class ChargerCertificateRow(Base):
    """A client certificate the site's CA issued to a charge point (SignCertificate)."""

    __tablename__ = "charger_certificates"
    __table_args__ = (Index("ix_charger_certificates_charge_point_id", "charge_point_id"),)

    serial: Mapped[str] = mapped_column(String, primary_key=True)
    """Upper-case hexadecimal, as the TLS listener reports a client certificate's."""
    charge_point_id: Mapped[str] = mapped_column(String)
    common_name: Mapped[str] = mapped_column(String)
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    issued_at: Mapped[datetime]


ID_TAG_STATUSES = "status IN ('Accepted', 'Blocked', 'Expired', 'Invalid')"


class IdTagRow(Base):
    """What the central system answers for an id tag; vehicles' tags need no row (see ``fleet.id_tags``)."""

    __tablename__ = "id_tags"
    __table_args__ = (
        Index("ix_id_tags_status", "status"),
        CheckConstraint(ID_TAG_STATUSES, name="status"),
    )

    id_tag_key: Mapped[str] = mapped_column(String, primary_key=True)
    """The tag with A-Z folded to a-z: OCPP compares id tags case-insensitively."""
    id_tag: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    expires_at: Mapped[datetime | None]
    parent_id_tag: Mapped[str | None] = mapped_column(String)
    fleet: Mapped[str | None] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(String)


class LocalListRow(Base):
    """The local authorisation list a charger last accepted: its version (0: empty, never sent)."""

    __tablename__ = "local_lists"
    __table_args__ = (CheckConstraint("version >= 0", name="version"),)

    charge_point_id: Mapped[str] = mapped_column(String, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class LocalListEntryRow(Base):
    """One id tag of a charger's local authorisation list, with the IdTagInfo the charger holds for it."""

    __tablename__ = "local_list_entries"
    __table_args__ = (CheckConstraint(ID_TAG_STATUSES, name="status"),)

    charge_point_id: Mapped[str] = mapped_column(
        String, ForeignKey("local_lists.charge_point_id", ondelete="CASCADE"), primary_key=True
    )
    id_tag_key: Mapped[str] = mapped_column(String, primary_key=True)
    id_tag: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    expires_at: Mapped[datetime | None]
    parent_id_tag: Mapped[str | None] = mapped_column(String)


class ChargerCapabilitiesRow(Base):
    """What a charger last reported of itself with GetConfiguration (the latest read replaces the one before)."""

    __tablename__ = "charger_capabilities"

    charge_point_id: Mapped[str] = mapped_column(String, primary_key=True)
    read_at: Mapped[datetime]
    reported: Mapped[dict[str, Any]]
    """``configuration`` (key -> value as the charger wrote it) and ``unknown_keys``."""


class DesiredProfileRow(Base):
    """The TxProfile a charging connector should hold, as dispatch last decided it, and how the
    charger last answered it; reinstalled when the charger reboots or reconnects."""

    __tablename__ = "desired_charging_profiles"

    charge_point_id: Mapped[str] = mapped_column(String, primary_key=True)
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(Integer)
    profile: Mapped[dict[str, Any]]
    """The profile in kW (``fleet.persistence.capability_queries.profile_document``)."""
    decided_at: Mapped[datetime]
    last_status: Mapped[str | None] = mapped_column(String)
    """The CommandStatus of the latest attempt to install it; NULL before the first."""
    last_attempt_at: Mapped[datetime | None]
