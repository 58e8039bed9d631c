"""Rounds form a series: previous_round_id, and which earlier departments a department continues

Revision ID: b8e4c2d6f1a3
Revises: 039ec09f0c4b
Create Date: 2026-11-30 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8e4c2d6f1a3'
down_revision = '039ec09f0c4b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_round_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_round_previous_round_id'), ['previous_round_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_round_previous_round_id_round', 'round',
                                    ['previous_round_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('continues', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_column('continues')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_constraint('fk_round_previous_round_id_round', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_round_previous_round_id'))
        batch_op.drop_column('previous_round_id')
