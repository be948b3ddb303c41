drop function app_private.uuid_v7_batch();
drop function app_private.uuid_v7();
