"""perspectives: inwoners and bestuur groups, their links, answers and the round's settings

New tables only; existing rounds get no row in ``round_perspective`` and behave as before
(targets from the banks, no inwoners or bestuur group).

Revision ID: b8e2c4d6f0a1
Revises: b8e4c2d6f1a3
Create Date: 2026-11-30 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b8e2c4d6f0a1'
down_revision = 'b8e4c2d6f1a3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'round_perspective',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('target_source', sa.String(length=16), nullable=False),
        sa.Column('residents_min_group_size', sa.Integer(), nullable=False),
        sa.Column('residents_bank_id', sa.String(length=64), nullable=True),
        sa.Column('residents_version', sa.String(length=32), nullable=True),
        sa.Column('residents_sha256', sa.String(length=64), nullable=True),
        sa.Column('residents_content', sa.JSON(), nullable=True),
        sa.CheckConstraint("target_source IN ('banks', 'overrides', 'bestuur')",
                           name='target_source'),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('round_id'),
    )
    op.create_table(
        'group_state',
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('open', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('department_id'),
    )
    op.create_table(
        'group_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('token_salt', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_group_link_department_id', 'group_link', ['department_id'])
    op.create_table(
        'resident_response',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('assisted', sa.Boolean(), nullable=False),
        sa.Column('participant_role', sa.String(length=32), nullable=True),
        sa.Column('submitted_on', sa.Date(), nullable=False),
        sa.CheckConstraint("channel IN ('online', 'papier')", name='channel'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['link_id'], ['group_link.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_resident_response_department_id', 'resident_response',
                    ['department_id'])
    op.create_index('ix_resident_response_link_id', 'resident_response', ['link_id'])
    op.create_table(
        'resident_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('statement_id', sa.String(length=128), nullable=False),
        sa.Column('value', sa.String(length=16), nullable=False),
        sa.CheckConstraint("value IN ('1', '2', '3', '4', '5', 'dont_know')", name='value'),
        sa.ForeignKeyConstraint(['response_id'], ['resident_response.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('response_id', 'statement_id'),
    )
    op.create_index('ix_resident_answer_response_id', 'resident_answer', ['response_id'])
    op.create_table(
        'resident_comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('statement_id', sa.String(length=128), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_resident_comment_department_id', 'resident_comment',
                    ['department_id'])
    op.create_table(
        'bestuur_response',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('submitted_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_bestuur_response_department_id', 'bestuur_response',
                    ['department_id'])
    op.create_table(
        'ambition_rating',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('bank_id', sa.String(length=64), nullable=False),
        sa.Column('theme_id', sa.String(length=64), nullable=False),
        sa.Column('level', sa.Integer(), nullable=True),
        sa.Column('importance', sa.Integer(), nullable=True),
        sa.CheckConstraint('level IS NULL OR level BETWEEN 0 AND 4', name='level'),
        sa.CheckConstraint('importance IS NULL OR importance BETWEEN 1 AND 5',
                           name='importance'),
        sa.ForeignKeyConstraint(['response_id'], ['bestuur_response.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('response_id', 'bank_id', 'theme_id'),
    )
    op.create_index('ix_ambition_rating_response_id', 'ambition_rating', ['response_id'])


def downgrade() -> None:
    for table in ('ambition_rating', 'bestuur_response', 'resident_comment', 'resident_answer',
                  'resident_response', 'group_link', 'group_state', 'round_perspective'):
        op.drop_table(table)
