"""Initial schema: the PostGIS extension and every table.

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 11:05:49.876832
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Analytics (issue 7): every change to a ticket, its feedback or its escalations marks
# the UTC hours it touches as dirty, so the daily rollup is refreshed for exactly those
# days whoever made the change (API, bot, sweeps, bulk loads). A move counts too: the
# heatmap's counts are remembered while their days are clean (answer_cache.py).
# Statement-level triggers with transition tables cost one INSERT per statement, not
# per row; plain inserts (no ON CONFLICT) so writers never wait on each other and no
# change is lost to a refresh.
_TICKET_HOURS = """
    SELECT DISTINCT date_trunc('hour', ts) FROM {rows} r,
    LATERAL (VALUES (r.created_at), (r.resolved_at), (r.closed_at), (r.due_at)) v(ts)
    WHERE ts IS NOT NULL"""
ANALYTICS_TRIGGERS = [
    f"""
CREATE FUNCTION analytics_mark_tickets_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO analytics_dirty_hours (hour) {_TICKET_HOURS.format(rows="new_rows")};
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO analytics_dirty_hours (hour) {_TICKET_HOURS.format(rows="old_rows")};
  ELSE
    INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', ts) FROM old_rows o JOIN new_rows n ON n.id = o.id,
    LATERAL (VALUES (o.created_at), (o.resolved_at), (o.closed_at), (o.due_at),
                    (n.created_at), (n.resolved_at), (n.closed_at), (n.due_at)) v(ts)
    WHERE ts IS NOT NULL
      AND (o.status, o.category_id, o.team_id, o.channel, o.created_at, o.first_response_at,
           o.resolved_at, o.closed_at, o.due_at, o.reopen_count, CAST(o.location AS text))
          IS DISTINCT FROM
          (n.status, n.category_id, n.team_id, n.channel, n.created_at, n.first_response_at,
           n.resolved_at, n.closed_at, n.due_at, n.reopen_count, CAST(n.location AS text));
  END IF;
  RETURN NULL;
END $$""",
    """
CREATE FUNCTION analytics_mark_children_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', ts) FROM old_rows c JOIN tickets t ON t.id = c.ticket_id,
    LATERAL (VALUES (t.created_at), (t.resolved_at)) v(ts) WHERE ts IS NOT NULL;
  ELSE
    INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', ts) FROM new_rows c JOIN tickets t ON t.id = c.ticket_id,
    LATERAL (VALUES (t.created_at), (t.resolved_at)) v(ts) WHERE ts IS NOT NULL;
  END IF;
  RETURN NULL;
END $$""",
]
for _table, _function in (
    ("tickets", "analytics_mark_tickets_dirty"),
    ("feedback", "analytics_mark_children_dirty"),
    ("escalations", "analytics_mark_children_dirty"),
):
    ANALYTICS_TRIGGERS += [
        f"CREATE TRIGGER analytics_dirty_insert AFTER INSERT ON {_table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {_function}()",
        f"CREATE TRIGGER analytics_dirty_update AFTER UPDATE ON {_table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {_function}()",
        f"CREATE TRIGGER analytics_dirty_delete AFTER DELETE ON {_table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {_function}()",
    ]

# Hotspots (issue 7): a change that can move the open-ticket clusters (an open ticket
# created, deleted, moved, recategorised, re-dated or opened/ended; a category renamed)
# adds one row to `analytics_hotspot_changes`, so the precomputed snapshot is served
# only while nothing changed since it was taken. One insert per statement, no waiting.
_OPEN = "IN ('new', 'in_progress', 'escalated')"
HOTSPOT_TRIGGERS = [
    f"""
CREATE FUNCTION analytics_mark_hotspots_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'categories' THEN
    INSERT INTO analytics_hotspot_changes DEFAULT VALUES;
  ELSIF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM new_rows WHERE status {_OPEN} AND location IS NOT NULL) THEN
      INSERT INTO analytics_hotspot_changes DEFAULT VALUES;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM old_rows WHERE status {_OPEN} AND location IS NOT NULL) THEN
      INSERT INTO analytics_hotspot_changes DEFAULT VALUES;
    END IF;
  ELSIF EXISTS (
    SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.status {_OPEN}) IS DISTINCT FROM (n.status {_OPEN})
       OR ((o.status {_OPEN} OR n.status {_OPEN})
           AND (CAST(o.location AS text), o.category_id, o.created_at, o.number)
               IS DISTINCT FROM (CAST(n.location AS text), n.category_id, n.created_at, n.number))
  ) THEN
    INSERT INTO analytics_hotspot_changes DEFAULT VALUES;
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER analytics_hotspots_insert AFTER INSERT ON tickets REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_hotspots_changed()",
    "CREATE TRIGGER analytics_hotspots_update AFTER UPDATE ON tickets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_hotspots_changed()",
    "CREATE TRIGGER analytics_hotspots_delete AFTER DELETE ON tickets REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_hotspots_changed()",
    "CREATE TRIGGER analytics_hotspots_categories AFTER UPDATE OR DELETE ON categories FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_hotspots_changed()",
]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE SEQUENCE ticket_number_seq START WITH 1001")
    op.create_table('otp_codes',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('code_hash', sa.String(length=128), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_otp_codes')),
    sa.UniqueConstraint('phone', name=op.f('uq_otp_codes_phone'))
    )
    op.create_table('teams',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('categories',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_tr', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('description_tr', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('default_team_id', sa.BigInteger(), nullable=True),
    sa.Column('sla_hours', sa.Integer(), server_default='72', nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('questions', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('sla_hours > 0', name=op.f('ck_categories_sla_hours_positive')),
    sa.ForeignKeyConstraint(['default_team_id'], ['teams.id'], name=op.f('fk_categories_default_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_categories_code'))
    )
    op.create_index(op.f('ix_categories_default_team_id'), 'categories', ['default_team_id'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('whatsapp_id', sa.String(length=128), nullable=True),
    sa.Column('full_name', sa.String(length=120), nullable=True),
    sa.Column('role', sa.String(length=16), server_default='citizen', nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('locale', sa.String(length=2), server_default='tr', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('sla_alerts', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("locale IN ('tr', 'en')", name=op.f('ck_users_locale')),
    sa.CheckConstraint("role IN ('citizen', 'support', 'manager')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_users_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('phone', name=op.f('uq_users_phone')),
    sa.UniqueConstraint('whatsapp_id', name=op.f('uq_users_whatsapp_id'))
    )
    op.create_index('ix_users_role_active', 'users', ['role', 'is_active'], unique=False)
    op.create_index(op.f('ix_users_team_id'), 'users', ['team_id'], unique=False)
    op.create_table('api_keys',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=128), nullable=False),
    sa.Column('scopes', postgresql.ARRAY(sa.String(length=40)), nullable=False),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_keys_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )
    op.create_table('conversations',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('address', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('state', sa.String(length=40), server_default='start', nullable=False),
    sa.Column('context', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=True),
    sa.Column('locale', sa.String(length=2), server_default='tr', nullable=False),
    sa.Column('misses', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversations_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('address', name=op.f('uq_conversations_address'))
    )
    op.create_index('ix_conversations_expires_at', 'conversations', ['expires_at'], unique=False)
    op.create_index(op.f('ix_conversations_user_id'), 'conversations', ['user_id'], unique=False)
    op.create_table('refresh_tokens',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('token_hash', sa.String(length=128), nullable=False),
    sa.Column('family_id', sa.Uuid(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_refresh_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_tokens_token_hash'))
    )
    op.create_index(op.f('ix_refresh_tokens_family_id'), 'refresh_tokens', ['family_id'], unique=False)
    op.create_index(op.f('ix_refresh_tokens_user_id'), 'refresh_tokens', ['user_id'], unique=False)
    op.create_geospatial_table('tickets',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('number', sa.Integer(), server_default=sa.text("nextval('ticket_number_seq')"), nullable=False),
    sa.Column('reporter_id', sa.BigInteger(), nullable=True),
    sa.Column('api_key_id', sa.BigInteger(), nullable=True),
    sa.Column('category_id', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='new', nullable=False),
    sa.Column('priority', sa.String(length=8), server_default='normal', nullable=False),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.Column('location', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('needs_location', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('assignee_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('duplicate_of_id', sa.BigInteger(), nullable=True),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('source_details', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('followers_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reopen_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_breached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed("to_tsvector('turkish', translate(description, 'Iİ', 'ıi'))", persisted=True), nullable=True),
    sa.CheckConstraint("channel IN ('whatsapp', 'sms', 'api', 'open311')", name=op.f('ck_tickets_channel')),
    sa.CheckConstraint("priority IN ('low', 'normal', 'high', 'urgent')", name=op.f('ck_tickets_priority')),
    sa.CheckConstraint("resolution IS NULL OR resolution IN ('fixed', 'duplicate', 'not_responsible', 'invalid')", name=op.f('ck_tickets_resolution')),
    sa.CheckConstraint("status IN ('new', 'in_progress', 'escalated', 'resolved', 'closed')", name=op.f('ck_tickets_status')),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_tickets_api_key_id_api_keys'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tickets_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_tickets_category_id_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['tickets.id'], name=op.f('fk_tickets_duplicate_of_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_tickets_reporter_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_tickets_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    op.create_index(op.f('ix_tickets_assignee_id'), 'tickets', ['assignee_id'], unique=False)
    op.create_index(op.f('ix_tickets_category_id'), 'tickets', ['category_id'], unique=False)
    op.create_index('ix_tickets_created_at', 'tickets', ['created_at'], unique=False)
    op.create_geospatial_index('ix_tickets_location', 'tickets', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_tickets_open_due_at', 'tickets', ['due_at'], unique=False, postgresql_where=sa.text("status IN ('new', 'in_progress', 'escalated')"))
    op.create_index('ix_tickets_open_location', 'tickets', ['location'], unique=False, postgresql_using='gist', postgresql_where=sa.text("status IN ('new', 'in_progress', 'escalated')"))
    op.create_index(op.f('ix_tickets_reporter_id'), 'tickets', ['reporter_id'], unique=False)
    op.create_index('ix_tickets_search_vector', 'tickets', ['search_vector'], unique=False, postgresql_using='gin')
    op.create_index('ix_tickets_status_created_at', 'tickets', ['status', 'created_at'], unique=False)
    op.create_index(op.f('ix_tickets_team_id'), 'tickets', ['team_id'], unique=False)
    op.create_table('comments',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('is_internal', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_comments_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    op.create_index('ix_comments_body_search', 'comments', [sa.literal_column("to_tsvector('turkish', translate(body, 'Iİ', 'ıi'))")], unique=False, postgresql_using='gin')
    op.create_index(op.f('ix_comments_ticket_id'), 'comments', ['ticket_id'], unique=False)
    op.create_table('escalations',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('requested_by_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('decided_by_id', sa.BigInteger(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_escalations_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_escalations_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_escalations_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_escalations_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations'))
    )
    op.create_index('ix_escalations_status_created_at', 'escalations', ['status', 'created_at'], unique=False)
    op.create_index(op.f('ix_escalations_ticket_id'), 'escalations', ['ticket_id'], unique=False)
    op.create_index('uq_escalations_one_pending', 'escalations', ['ticket_id'], unique=True, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('feedback',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('fixed', sa.Boolean(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_feedback_rating_range')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_feedback_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feedback_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_feedback_ticket_id'))
    )
    op.create_table('messages',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('twilio_sid', sa.String(length=64), nullable=True),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=128), nullable=True),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('ticket_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=True),
    sa.Column('locale', sa.String(length=2), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('media', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('content_sid', sa.String(length=64), nullable=True),
    sa.Column('content_variables', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("channel IN ('sms', 'whatsapp')", name=op.f('ck_messages_channel')),
    sa.CheckConstraint("direction IN ('inbound', 'outbound')", name=op.f('ck_messages_direction')),
    sa.CheckConstraint("status IN ('received', 'pending', 'sending', 'queued', 'sent', 'delivered', 'read', 'failed', 'undelivered', 'skipped')", name=op.f('ck_messages_status')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_messages_ticket_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_messages_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('twilio_sid', name=op.f('uq_messages_twilio_sid'))
    )
    op.create_index('ix_messages_address_created_at', 'messages', ['address', 'created_at'], unique=False)
    op.create_index('ix_messages_pending', 'messages', ['created_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_messages_inbound_media', 'messages', ['created_at'], unique=False, postgresql_where=sa.text("direction = 'inbound' AND media <> '[]'::jsonb"))
    op.create_index(op.f('ix_messages_ticket_id'), 'messages', ['ticket_id'], unique=False)
    op.create_index(op.f('ix_messages_user_id'), 'messages', ['user_id'], unique=False)
    op.create_table('photos',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=True),
    sa.Column('uploaded_by_id', sa.BigInteger(), nullable=True),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=10), server_default='api', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_photos_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_photos_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_photos_storage_key')),
    sa.UniqueConstraint('ticket_id', 'sha256', name=op.f('uq_photos_ticket_id_sha256'))
    )
    op.create_index(op.f('ix_photos_ticket_id'), 'photos', ['ticket_id'], unique=False)
    op.create_table('ticket_events',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('from_value', sa.String(length=80), nullable=True),
    sa.Column('to_value', sa.String(length=80), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ticket_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    op.create_index(op.f('ix_ticket_events_ticket_id'), 'ticket_events', ['ticket_id'], unique=False)
    op.create_table('ticket_followers',
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_followers_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_followers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'user_id', name=op.f('pk_ticket_followers'))
    )
    op.create_index(op.f('ix_ticket_followers_user_id'), 'ticket_followers', ['user_id'], unique=False)
    # --- analytics (issue 7): indexes, rollup tables, dirty-hour triggers, export jobs ---
    op.create_index('ix_tickets_open_created_at', 'tickets', ['created_at'], unique=False, postgresql_include=['category_id', 'team_id', 'channel', 'due_at'], postgresql_where=sa.text("status IN ('new', 'in_progress', 'escalated')"))
    op.create_index('ix_tickets_resolved_at', 'tickets', ['resolved_at'], unique=False)
    op.create_index('ix_tickets_closed_at', 'tickets', ['closed_at'], unique=False)
    op.create_table('analytics_daily',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category_id', sa.BigInteger(), nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('created_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('first_response_s', postgresql.ARRAY(sa.Integer()), server_default='{}', nullable=False),
    sa.Column('escalated_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('escalations_decided_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('escalations_approved_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('resolved_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('resolution_s', postgresql.ARRAY(sa.Integer()), server_default='{}', nullable=False),
    sa.Column('resolved_with_due_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('resolved_on_time_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reopened_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('feedback_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rating_sum', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rating_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('fixed_yes_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('fixed_answered_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ended_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('open_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('oldest_open_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('open_due_n', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_daily'))
    )
    op.create_index('ix_analytics_daily_day', 'analytics_daily', ['day'], unique=False)
    op.create_index('ix_analytics_daily_open', 'analytics_daily', ['day'], unique=False, postgresql_include=['category_id', 'team_id', 'channel', 'open_n', 'oldest_open_at', 'open_due_n'], postgresql_where=sa.text('open_n > 0 OR open_due_n > 0'))
    op.create_table('analytics_dirty_hours',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_dirty_hours'))
    )
    op.create_table('analytics_rollup_state',
    sa.Column('id', sa.SmallInteger(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_rollup_state'))
    )
    for statement in ANALYTICS_TRIGGERS:
        op.execute(statement)
    op.create_table('analytics_hotspots',
    sa.Column('rank', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('ticket_count', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('oldest_id', sa.BigInteger(), nullable=False),
    sa.Column('oldest_number', sa.Integer(), nullable=False),
    sa.Column('oldest_created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('categories', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.PrimaryKeyConstraint('rank', name=op.f('pk_analytics_hotspots'))
    )
    op.create_table('analytics_hotspot_state',
    sa.Column('id', sa.SmallInteger(), nullable=False),
    sa.Column('srid', sa.Integer(), nullable=False),
    sa.Column('eps_m', sa.Float(), nullable=False),
    sa.Column('min_points', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_hotspot_state'))
    )
    op.create_table('analytics_hotspot_changes',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_hotspot_changes'))
    )
    for statement in HOTSPOT_TRIGGERS:
        op.execute(statement)
    op.create_table('export_jobs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('requested_by_id', sa.BigInteger(), nullable=True),
    sa.Column('api_key_id', sa.BigInteger(), nullable=True),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('filters', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='queued', nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=True),
    sa.Column('storage_key', sa.String(length=255), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("format IN ('csv', 'xlsx', 'geojson')", name=op.f('ck_export_jobs_format')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_export_jobs_status')),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_export_jobs_api_key_id_api_keys'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_export_jobs_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs'))
    )
    op.create_index(op.f('ix_export_jobs_api_key_id'), 'export_jobs', ['api_key_id'], unique=False)
    op.create_index(op.f('ix_export_jobs_requested_by_id'), 'export_jobs', ['requested_by_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_export_jobs_requested_by_id'), table_name='export_jobs')
    op.drop_index(op.f('ix_export_jobs_api_key_id'), table_name='export_jobs')
    op.drop_table('export_jobs')
    for table in ('tickets', 'feedback', 'escalations'):
        for event in ('insert', 'update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS analytics_dirty_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS analytics_mark_tickets_dirty()")
    op.execute("DROP FUNCTION IF EXISTS analytics_mark_children_dirty()")
    for trigger, table in (('insert', 'tickets'), ('update', 'tickets'), ('delete', 'tickets'), ('categories', 'categories')):
        op.execute(f"DROP TRIGGER IF EXISTS analytics_hotspots_{trigger} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS analytics_mark_hotspots_changed()")
    op.drop_table('analytics_hotspot_changes')
    op.drop_table('analytics_hotspot_state')
    op.drop_table('analytics_hotspots')
    op.drop_table('analytics_rollup_state')
    op.drop_table('analytics_dirty_hours')
    op.drop_index('ix_analytics_daily_open', table_name='analytics_daily', postgresql_where=sa.text('open_n > 0 OR open_due_n > 0'))
    op.drop_index('ix_analytics_daily_day', table_name='analytics_daily')
    op.drop_table('analytics_daily')
    op.drop_index('ix_tickets_closed_at', table_name='tickets')
    op.drop_index('ix_tickets_resolved_at', table_name='tickets')
    op.drop_index('ix_tickets_open_created_at', table_name='tickets', postgresql_where=sa.text("status IN ('new', 'in_progress', 'escalated')"))
    op.drop_index(op.f('ix_ticket_followers_user_id'), table_name='ticket_followers')
    op.drop_table('ticket_followers')
    op.drop_index(op.f('ix_ticket_events_ticket_id'), table_name='ticket_events')
    op.drop_table('ticket_events')
    op.drop_index(op.f('ix_photos_ticket_id'), table_name='photos')
    op.drop_table('photos')
    op.drop_index(op.f('ix_messages_user_id'), table_name='messages')
    op.drop_index(op.f('ix_messages_ticket_id'), table_name='messages')
    op.drop_index('ix_messages_pending', table_name='messages', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_messages_inbound_media', table_name='messages')
    op.drop_index('ix_messages_address_created_at', table_name='messages')
    op.drop_table('messages')
    op.drop_table('feedback')
    op.drop_index('uq_escalations_one_pending', table_name='escalations', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_escalations_ticket_id'), table_name='escalations')
    op.drop_index('ix_escalations_status_created_at', table_name='escalations')
    op.drop_table('escalations')
    op.drop_index(op.f('ix_comments_ticket_id'), table_name='comments')
    op.drop_index('ix_comments_body_search', table_name='comments', postgresql_using='gin')
    op.drop_table('comments')
    op.drop_index(op.f('ix_tickets_team_id'), table_name='tickets')
    op.drop_index('ix_tickets_status_created_at', table_name='tickets')
    op.drop_index('ix_tickets_search_vector', table_name='tickets', postgresql_using='gin')
    op.drop_index(op.f('ix_tickets_reporter_id'), table_name='tickets')
    op.drop_index('ix_tickets_open_location', table_name='tickets', postgresql_using='gist', postgresql_where=sa.text("status IN ('new', 'in_progress', 'escalated')"))
    op.drop_index('ix_tickets_open_due_at', table_name='tickets', postgresql_where=sa.text("status IN ('new', 'in_progress', 'escalated')"))
    op.drop_geospatial_index('ix_tickets_location', table_name='tickets', postgresql_using='gist', column_name='location')
    op.drop_index('ix_tickets_created_at', table_name='tickets')
    op.drop_index(op.f('ix_tickets_category_id'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_assignee_id'), table_name='tickets')
    op.drop_geospatial_table('tickets')
    op.drop_index(op.f('ix_refresh_tokens_user_id'), table_name='refresh_tokens')
    op.drop_index(op.f('ix_refresh_tokens_family_id'), table_name='refresh_tokens')
    op.drop_table('refresh_tokens')
    op.drop_index(op.f('ix_conversations_user_id'), table_name='conversations')
    op.drop_index('ix_conversations_expires_at', table_name='conversations')
    op.drop_table('conversations')
    op.drop_table('api_keys')
    op.drop_index(op.f('ix_users_team_id'), table_name='users')
    op.drop_index('ix_users_role_active', table_name='users')
    op.drop_table('users')
    op.drop_index(op.f('ix_categories_default_team_id'), table_name='categories')
    op.drop_table('categories')
    op.drop_table('teams')
    op.drop_table('otp_codes')
    op.execute("DROP SEQUENCE IF EXISTS ticket_number_seq")
    op.execute("DROP EXTENSION IF EXISTS postgis")
