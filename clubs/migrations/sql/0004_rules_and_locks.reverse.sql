drop function if exists app_private.try_lock(text, text);
drop function if exists app_private.take_lock(text, text);
drop function if exists app_private.lock_space(text);
drop function if exists app_private.refuse(text, text, text[]);
drop function if exists app_private.n_of_m(integer, integer);
drop function if exists app_private.refusal(text, text, text[]);
