"""The whole domain model: accounts, case tables, requests, experts, bookings, hours, budget, audit.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 10:10:05.921999

"""
from alembic import op
import sqlalchemy as sa

# Column types as the app's duidingspool.db types rendered them when this was written
# (a migration is history, so it imports nothing of the app): UTCDateTime is a
# timezone-aware DATETIME (timestamptz on PostgreSQL); Money is NUMERIC(12, 2), integer
# cents on SQLite.
UTC_DATETIME = sa.DateTime(timezone=True)
MONEY = sa.Numeric(12, 2).with_variant(sa.Integer(), 'sqlite')


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('km_rate', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('thresholds', sa.String(length=50), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_budget_amount')),
    sa.CheckConstraint('km_rate >= 0', name=op.f('ck_budget_km_rate')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_budget_year')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget')),
    sa.UniqueConstraint('year', name=op.f('uq_budget_year'))
    )
    op.create_table('expertise_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name_nl', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("code <> ''", name=op.f('ck_expertise_area_code_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expertise_area')),
    sa.UniqueConstraint('code', name=op.f('uq_expertise_area_code')),
    sa.UniqueConstraint('name_en', name=op.f('uq_expertise_area_name_en')),
    sa.UniqueConstraint('name_nl', name=op.f('uq_expertise_area_name_nl'))
    )
    op.create_table('safety_region',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_region')),
    sa.UniqueConstraint('code', name=op.f('uq_safety_region_code')),
    sa.UniqueConstraint('name', name=op.f('uq_safety_region_name'))
    )
    op.create_table('budget_allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('safety_region_id', sa.Integer(), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_budget_allocation_amount')),
    sa.ForeignKeyConstraint(['budget_id'], ['budget.id'], name=op.f('fk_budget_allocation_budget_id_budget'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['safety_region_id'], ['safety_region.id'], name=op.f('fk_budget_allocation_safety_region_id_safety_region'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_allocation')),
    sa.UniqueConstraint('budget_id', 'safety_region_id', name=op.f('uq_budget_allocation_budget_id_safety_region_id'))
    )
    op.create_table('budget_warning',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('allocation_key', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('raised_at', UTC_DATETIME, nullable=False),
    sa.CheckConstraint('threshold BETWEEN 1 AND 1000', name=op.f('ck_budget_warning_threshold')),
    sa.ForeignKeyConstraint(['budget_id'], ['budget.id'], name=op.f('fk_budget_warning_budget_id_budget'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_warning')),
    sa.UniqueConstraint('budget_id', 'allocation_key', 'threshold', name=op.f('uq_budget_warning_budget_id_allocation_key_threshold'))
    )
    op.create_table('municipality',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('cbs_code', sa.String(length=6), nullable=False),
    sa.Column('safety_region_id', sa.Integer(), nullable=False),
    sa.Column('latitude', sa.Numeric(precision=8, scale=5), nullable=False),
    sa.Column('longitude', sa.Numeric(precision=8, scale=5), nullable=False),
    sa.CheckConstraint("cbs_code LIKE 'GM____'", name=op.f('ck_municipality_cbs_code')),
    sa.CheckConstraint('latitude BETWEEN -90 AND 90', name=op.f('ck_municipality_latitude')),
    sa.CheckConstraint('longitude BETWEEN -180 AND 180', name=op.f('ck_municipality_longitude')),
    sa.ForeignKeyConstraint(['safety_region_id'], ['safety_region.id'], name=op.f('fk_municipality_safety_region_id_safety_region'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipality')),
    sa.UniqueConstraint('cbs_code', name=op.f('uq_municipality_cbs_code')),
    sa.UniqueConstraint('name', name=op.f('uq_municipality_name'))
    )
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_municipality_safety_region_id'), ['safety_region_id'], unique=False)

    op.create_table('case_table',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('host_organisation', sa.String(length=150), nullable=False),
    sa.Column('host_municipality_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=250), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('schedule_source', sa.String(length=20), nullable=False),
    sa.Column('rrule', sa.String(length=500), nullable=True),
    sa.Column('first_session_start', UTC_DATETIME, nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('ics_url', sa.String(length=1000), nullable=True),
    sa.Column('ics_imported_at', UTC_DATETIME, nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.CheckConstraint("schedule_source <> 'recurrence' OR rrule IS NULL OR first_session_start IS NOT NULL", name=op.f('ck_case_table_rrule_has_start')),
    sa.CheckConstraint("schedule_source IN ('recurrence', 'ics')", name=op.f('ck_case_table_schedule_source')),
    sa.CheckConstraint('duration_minutes BETWEEN 15 AND 720', name=op.f('ck_case_table_duration')),
    sa.ForeignKeyConstraint(['host_municipality_id'], ['municipality.id'], name=op.f('fk_case_table_host_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_table')),
    sa.UniqueConstraint('name', name=op.f('uq_case_table_name'))
    )
    with op.batch_alter_table('case_table', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_table_host_municipality_id'), ['host_municipality_id'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('last_login_at', UTC_DATETIME, nullable=True),
    sa.CheckConstraint("locale IS NULL OR locale IN ('nl', 'en')", name=op.f('ck_user_account_locale')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_user_account_email_lowercase')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_user_account_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('expires_at', UTC_DATETIME, nullable=True),
    sa.Column('last_used_at', UTC_DATETIME, nullable=True),
    sa.Column('revoked_at', UTC_DATETIME, nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_api_token_user_id_name'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', UTC_DATETIME, nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('object_type', sa.String(length=50), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('remote_addr', sa.String(length=45), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_audit_event_actor_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('case_table_municipality',
    sa.Column('case_table_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_table_id'], ['case_table.id'], name=op.f('fk_case_table_municipality_case_table_id_case_table'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_case_table_municipality_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('case_table_id', 'municipality_id', name=op.f('pk_case_table_municipality'))
    )
    with op.batch_alter_table('case_table_municipality', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_table_municipality_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('expert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('home_municipality_id', sa.Integer(), nullable=False),
    sa.Column('max_travel_km', sa.Integer(), nullable=False),
    sa.Column('max_hours_per_month', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('vog_issued_on', sa.Date(), nullable=True),
    sa.Column('vog_expires_on', sa.Date(), nullable=True),
    sa.Column('confidentiality_signed_on', sa.Date(), nullable=True),
    sa.Column('confidentiality_expires_on', sa.Date(), nullable=True),
    sa.Column('busy_ics_url', sa.String(length=1000), nullable=True),
    sa.Column('busy_refreshed_at', UTC_DATETIME, nullable=True),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.CheckConstraint('confidentiality_expires_on IS NULL OR confidentiality_signed_on IS NULL OR confidentiality_expires_on >= confidentiality_signed_on', name=op.f('ck_expert_confidentiality_dates')),
    sa.CheckConstraint('max_hours_per_month > 0', name=op.f('ck_expert_max_hours_per_month')),
    sa.CheckConstraint('max_travel_km >= 0', name=op.f('ck_expert_max_travel_km')),
    sa.CheckConstraint('vog_expires_on IS NULL OR vog_issued_on IS NULL OR vog_expires_on >= vog_issued_on', name=op.f('ck_expert_vog_dates')),
    sa.ForeignKeyConstraint(['home_municipality_id'], ['municipality.id'], name=op.f('fk_expert_home_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_expert_user_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert')),
    sa.UniqueConstraint('user_id', name=op.f('uq_expert_user_id'))
    )
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_home_municipality_id'), ['home_municipality_id'], unique=False)

    op.create_table('sitting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_table_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', UTC_DATETIME, nullable=False),
    sa.Column('ends_at', UTC_DATETIME, nullable=False),
    sa.Column('location', sa.String(length=250), nullable=True),
    sa.Column('is_online', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('origin_uid', sa.String(length=255), nullable=False),
    sa.Column('origin_start', UTC_DATETIME, nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('updated_at', UTC_DATETIME, nullable=False),
    sa.CheckConstraint("status IN ('scheduled', 'moved', 'cancelled')", name=op.f('ck_sitting_status')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_sitting_ends_after_start')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_sitting_sequence')),
    sa.ForeignKeyConstraint(['case_table_id'], ['case_table.id'], name=op.f('fk_sitting_case_table_id_case_table'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sitting')),
    sa.UniqueConstraint('case_table_id', 'origin_uid', 'origin_start', name=op.f('uq_sitting_case_table_id_origin_uid_origin_start'))
    )
    with op.batch_alter_table('sitting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sitting_starts_at'), ['starts_at'], unique=False)

    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.CheckConstraint("role IN ('requester', 'coordinator', 'expert', 'admin')", name=op.f('ck_user_role_role')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_role_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_role'))
    )
    op.create_table('absence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', UTC_DATETIME, nullable=False),
    sa.Column('ends_at', UTC_DATETIME, nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_absence_ends_after_start')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_absence_expert_id_expert'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_absence'))
    )
    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absence_expert_id'), ['expert_id'], unique=False)

    op.create_table('availability_window',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('start_minute', sa.SmallInteger(), nullable=False),
    sa.Column('end_minute', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute', name=op.f('ck_availability_window_minutes')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_availability_window_weekday')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_availability_window_expert_id_expert'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_window'))
    )
    with op.batch_alter_table('availability_window', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_window_expert_id'), ['expert_id'], unique=False)

    op.create_table('busy_interval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', UTC_DATETIME, nullable=False),
    sa.Column('ends_at', UTC_DATETIME, nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_busy_interval_ends_after_start')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_busy_interval_expert_id_expert'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_busy_interval'))
    )
    with op.batch_alter_table('busy_interval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_busy_interval_expert_id'), ['expert_id'], unique=False)

    op.create_table('expert_conflict',
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_conflict_expert_id_expert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_expert_conflict_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('expert_id', 'municipality_id', name=op.f('pk_expert_conflict'))
    )
    op.create_table('expert_expertise',
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('expertise_area_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 3', name=op.f('ck_expert_expertise_level')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_expertise_expert_id_expert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expertise_area_id'], ['expertise_area.id'], name=op.f('fk_expert_expertise_expertise_area_id_expertise_area'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('expert_id', 'expertise_area_id', name=op.f('pk_expert_expertise'))
    )
    with op.batch_alter_table('expert_expertise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_expertise_expertise_area_id'), ['expertise_area_id'], unique=False)

    op.create_table('expert_language',
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.CheckConstraint('language = lower(language)', name=op.f('ck_expert_language_language_lowercase')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_language_expert_id_expert'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('expert_id', 'language', name=op.f('pk_expert_language'))
    )
    op.create_table('expert_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('hourly_rate', MONEY, nullable=False),
    sa.CheckConstraint('hourly_rate >= 0', name=op.f('ck_expert_rate_hourly_rate')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_rate_expert_id_expert'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_rate')),
    sa.UniqueConstraint('expert_id', 'valid_from', name=op.f('uq_expert_rate_expert_id_valid_from'))
    )
    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('case_table_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=True),
    sa.Column('window_start', sa.Date(), nullable=True),
    sa.Column('window_end', sa.Date(), nullable=True),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('estimated_minutes', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('urgency_rank', sa.SmallInteger(), nullable=False),
    sa.Column('case_code', sa.String(length=50), nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('updated_at', UTC_DATETIME, nullable=False),
    sa.Column('cancelled_at', UTC_DATETIME, nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('completed_at', UTC_DATETIME, nullable=True),
    sa.Column('purged_at', UTC_DATETIME, nullable=True),
    sa.CheckConstraint("mode IN ('in_person', 'online')", name=op.f('ck_referral_mode')),
    sa.CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL", name=op.f('ck_referral_cancelled_has_time')),
    sa.CheckConstraint("status IN ('submitted', 'offered', 'booked', 'completed', 'cancelled', 'unfilled')", name=op.f('ck_referral_status')),
    sa.CheckConstraint("urgency IN ('normal', 'high', 'urgent')", name=op.f('ck_referral_urgency')),
    sa.CheckConstraint('estimated_minutes BETWEEN 15 AND 2400', name=op.f('ck_referral_estimated_minutes')),
    sa.CheckConstraint('previous_id IS NULL OR previous_id <> id', name=op.f('ck_referral_previous_not_self')),
    sa.CheckConstraint('sitting_id IS NOT NULL OR (window_start IS NOT NULL AND window_end IS NOT NULL)', name=op.f('ck_referral_session_or_window')),
    sa.CheckConstraint('urgency_rank BETWEEN 0 AND 2', name=op.f('ck_referral_urgency_rank')),
    sa.CheckConstraint('window_start IS NULL OR window_end IS NULL OR window_end >= window_start', name=op.f('ck_referral_window_order')),
    sa.ForeignKeyConstraint(['case_table_id'], ['case_table.id'], name=op.f('fk_referral_case_table_id_case_table'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_referral_created_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_referral_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['previous_id'], ['referral.id'], name=op.f('fk_referral_previous_id_referral'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_referral_sitting_id_sitting'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral')),
    sa.UniqueConstraint('reference', name=op.f('uq_referral_reference'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_case_table_id'), ['case_table_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_previous_id'), ['previous_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_sitting_id'), ['sitting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_status'), ['status'], unique=False)

    op.create_table('offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('queue_position', sa.Integer(), nullable=False),
    sa.Column('offered_at', UTC_DATETIME, nullable=True),
    sa.Column('expires_at', UTC_DATETIME, nullable=True),
    sa.Column('responded_at', UTC_DATETIME, nullable=True),
    sa.Column('decline_reason', sa.String(length=500), nullable=True),
    sa.Column('budget_override_reason', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.CheckConstraint("status IN ('queued', 'pending', 'accepted', 'declined', 'expired', 'withdrawn')", name=op.f('ck_offer_status')),
    sa.CheckConstraint("status IN ('queued', 'withdrawn') OR (offered_at IS NOT NULL AND expires_at IS NOT NULL)", name=op.f('ck_offer_sent_has_times')),
    sa.CheckConstraint('queue_position >= 0', name=op.f('ck_offer_queue_position')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_offer_created_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_offer_expert_id_expert'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_offer_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer')),
    sa.UniqueConstraint('referral_id', 'expert_id', name=op.f('uq_offer_referral_id_expert_id'))
    )
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_expires_at'), ['expires_at'], unique=False)

    op.create_table('referral_expertise',
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('expertise_area_id', sa.Integer(), nullable=False),
    sa.Column('min_level', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('min_level BETWEEN 1 AND 3', name=op.f('ck_referral_expertise_min_level')),
    sa.ForeignKeyConstraint(['expertise_area_id'], ['expertise_area.id'], name=op.f('fk_referral_expertise_expertise_area_id_expertise_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_expertise_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('referral_id', 'expertise_area_id', name=op.f('pk_referral_expertise'))
    )
    with op.batch_alter_table('referral_expertise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_expertise_expertise_area_id'), ['expertise_area_id'], unique=False)

    op.create_table('booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', UTC_DATETIME, nullable=False),
    sa.Column('ends_at', UTC_DATETIME, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('calendar_uid', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('updated_at', UTC_DATETIME, nullable=False),
    sa.Column('cancelled_at', UTC_DATETIME, nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL", name=op.f('ck_booking_cancelled_has_time')),
    sa.CheckConstraint("status IN ('confirmed', 'completed', 'cancelled')", name=op.f('ck_booking_status')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_booking_ends_after_start')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_booking_sequence')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_booking_expert_id_expert'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_booking_offer_id_offer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_booking_referral_id_referral'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id'], name=op.f('fk_booking_sitting_id_sitting'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking')),
    sa.UniqueConstraint('calendar_uid', name=op.f('uq_booking_calendar_uid')),
    sa.UniqueConstraint('offer_id', name=op.f('uq_booking_offer_id'))
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_expert_id_starts_at', ['expert_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_sitting_id'), ['sitting_id'], unique=False)
        batch_op.create_index('uq_booking_confirmed_referral', ['referral_id'], unique=True, sqlite_where=sa.text("status = 'confirmed'"), postgresql_where=sa.text("status = 'confirmed'"))

    op.create_table('hour_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('kilometres', sa.Numeric(precision=7, scale=1), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', UTC_DATETIME, nullable=True),
    sa.Column('decided_at', UTC_DATETIME, nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.CheckConstraint("category IN ('preparation', 'attendance', 'travel', 'written_advice', 'follow_up')", name=op.f('ck_hour_line_category')),
    sa.CheckConstraint("status <> 'rejected' OR reject_reason IS NOT NULL", name=op.f('ck_hour_line_rejected_has_reason')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'approved', 'rejected')", name=op.f('ck_hour_line_status')),
    sa.CheckConstraint('kilometres IS NULL OR kilometres >= 0', name=op.f('ck_hour_line_kilometres')),
    sa.CheckConstraint('minutes > 0 AND minutes <= 1440', name=op.f('ck_hour_line_minutes')),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_hour_line_booking_id_booking'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_hour_line_decided_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hour_line'))
    )
    with op.batch_alter_table('hour_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hour_line_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hour_line_status'), ['status'], unique=False)


    if op.get_bind().dialect.name == "postgresql":
        # One expert is never booked twice at overlapping times. Half-open ranges let
        # back-to-back sessions fit. SQLite has no such constraint; the booking service
        # serialises its transaction there instead.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE booking ADD CONSTRAINT ex_booking_expert_overlap EXCLUDE USING gist "
            "(expert_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            "WHERE (status = 'confirmed')"
        )


def downgrade():
    with op.batch_alter_table('hour_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hour_line_status'))
        batch_op.drop_index(batch_op.f('ix_hour_line_booking_id'))

    op.drop_table('hour_line')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('uq_booking_confirmed_referral', sqlite_where=sa.text("status = 'confirmed'"), postgresql_where=sa.text("status = 'confirmed'"))
        batch_op.drop_index(batch_op.f('ix_booking_sitting_id'))
        batch_op.drop_index('ix_booking_expert_id_starts_at')

    op.drop_table('booking')
    with op.batch_alter_table('referral_expertise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_expertise_expertise_area_id'))

    op.drop_table('referral_expertise')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_expires_at'))
        batch_op.drop_index(batch_op.f('ix_offer_expert_id'))

    op.drop_table('offer')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_status'))
        batch_op.drop_index(batch_op.f('ix_referral_sitting_id'))
        batch_op.drop_index(batch_op.f('ix_referral_previous_id'))
        batch_op.drop_index(batch_op.f('ix_referral_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_referral_created_at'))
        batch_op.drop_index(batch_op.f('ix_referral_case_table_id'))

    op.drop_table('referral')
    op.drop_table('expert_rate')
    op.drop_table('expert_language')
    with op.batch_alter_table('expert_expertise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_expertise_expertise_area_id'))

    op.drop_table('expert_expertise')
    op.drop_table('expert_conflict')
    with op.batch_alter_table('busy_interval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_busy_interval_expert_id'))

    op.drop_table('busy_interval')
    with op.batch_alter_table('availability_window', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_window_expert_id'))

    op.drop_table('availability_window')
    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absence_expert_id'))

    op.drop_table('absence')
    op.drop_table('user_role')
    with op.batch_alter_table('sitting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sitting_starts_at'))

    op.drop_table('sitting')
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_home_municipality_id'))

    op.drop_table('expert')
    with op.batch_alter_table('case_table_municipality', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_table_municipality_municipality_id'))

    op.drop_table('case_table_municipality')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_occurred_at'))
        batch_op.drop_index('ix_audit_event_object')
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))

    op.drop_table('audit_event')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user_account')
    with op.batch_alter_table('case_table', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_table_host_municipality_id'))

    op.drop_table('case_table')
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_municipality_safety_region_id'))

    op.drop_table('municipality')
    op.drop_table('budget_warning')
    op.drop_table('budget_allocation')
    op.drop_table('safety_region')
    op.drop_table('expertise_area')
    op.drop_table('budget')
