from django.db import migrations

# DRF's plain-text tokens (authtoken_token, from before staff_auth), where a database has them:
# each is kept as a hashed token lasting 90 days from this migration (its first 12 characters find
# it, a SHA-256 digest checks it), so kiosks keep working while managers make them new ones; then
# the table, its migrations' record, its permissions and its content types go.
KEEP_AND_DROP = """
do $$
begin
    if to_regclass('public.authtoken_token') is null then
        return;
    end if;
    insert into public.staff_api_tokens (id, user_id, name, prefix, digest, created_at, created_by, expires_at, revoked_by)
    select gen_random_uuid(), token.user_id, 'Kept from before tokens expired: replace it', left(token.key, 12),
           encode(sha256(convert_to(token.key, 'UTF8')), 'hex'), token.created, 'migration',
           greatest(now(), token.created + interval '1 second') + interval '90 days', ''
    from public.authtoken_token token;
    drop table public.authtoken_token;
    delete from public.auth_group_permissions where permission_id in (
        select permission.id from public.auth_permission permission
        join public.django_content_type type on type.id = permission.content_type_id where type.app_label = 'authtoken');
    delete from public.auth_user_user_permissions where permission_id in (
        select permission.id from public.auth_permission permission
        join public.django_content_type type on type.id = permission.content_type_id where type.app_label = 'authtoken');
    delete from public.auth_permission where content_type_id in (
        select id from public.django_content_type where app_label = 'authtoken');
    delete from public.django_admin_log where content_type_id in (
        select id from public.django_content_type where app_label = 'authtoken');
    delete from public.django_content_type where app_label = 'authtoken';
    delete from public.django_migrations where app = 'authtoken';
end
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("staff_auth", "0001_api_tokens_and_sign_in_failures")]

    operations = [migrations.RunSQL(KEEP_AND_DROP, migrations.RunSQL.noop)]
