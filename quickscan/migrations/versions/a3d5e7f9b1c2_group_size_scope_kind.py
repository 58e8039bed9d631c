"""minimum group size per round, kern/volledig per pinned bank, group kind and expected
respondents per department

Existing rounds keep what they did: every bank ``volledig``, every group a ``department``.
Their minimum group size becomes the default 3.

Revision ID: a3d5e7f9b1c2
Revises: 7c1e2f9a4b30
Create Date: 2026-11-30 08:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3d5e7f9b1c2'
down_revision = '7c1e2f9a4b30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_group_size', sa.Integer(), nullable=False,
                                      server_default='3'))
    with op.batch_alter_table('round_bank', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=16), nullable=False,
                                      server_default='volledig'))
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='department'))
        batch_op.add_column(sa.Column('expected_respondents', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_column('expected_respondents')
        batch_op.drop_column('kind')
    with op.batch_alter_table('round_bank', schema=None) as batch_op:
        batch_op.drop_column('scope')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('min_group_size')
