"""round.min_group_size: the minimum group size k of a round (default 3, 1-10)

Revision ID: b7e3c91d2a40
Revises: 5abba95a15fa
Create Date: 2026-11-30 08:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e3c91d2a40'
down_revision = '5abba95a15fa'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rounds get k = 3 as well: hiding small departments is the privacy default.
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_group_size', sa.Integer(), nullable=False,
                                      server_default='3'))
        batch_op.create_check_constraint(op.f('ck_round_min_group_size'),
                                         'min_group_size BETWEEN 1 AND 10')


def downgrade():
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_round_min_group_size'), type_='check')
        batch_op.drop_column('min_group_size')
