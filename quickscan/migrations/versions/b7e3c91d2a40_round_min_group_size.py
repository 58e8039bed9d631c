"""round.min_group_size: the minimum group size k of a round (default 3, 1-10)

The same column as main's a3d5e7f9b1c2 (group size, scope, kind): at the merge, keep main's
migration and drop this one.

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


def downgrade():
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('min_group_size')
