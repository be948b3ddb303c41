-- What 0015 added; reversing then installs 0014's engine again (reinstalls=).
drop function if exists app_private.check_in_opens_minutes_before();
