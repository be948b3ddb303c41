drop function if exists public.search_members(text, integer);
drop function if exists app_private.search_members(text, integer);
drop function if exists public.cancel_booking(uuid);
drop function if exists public.book_class(uuid, boolean);
drop function if exists public.book_benefit_slot(uuid, boolean);
drop function if exists app_private.cancel_for_member(uuid);
drop function if exists app_private.book_for_member(text, uuid, boolean);
drop function if exists app_private.token_member();
drop function if exists app_private.set_attendance(text, uuid, boolean, text, text, text, text, text, inet, text);
drop function if exists app_private.cancel_booking(text, uuid, text, text, text, text, text, uuid, text, inet, text);
drop function if exists app_private.book(
    text, uuid, uuid, text, text, text, text, text, integer, text, text, boolean, text, inet, text
);
drop trigger if exists class_bookings_audit_direct on public.class_bookings;
drop trigger if exists benefit_bookings_audit_direct on public.benefit_bookings;
drop function if exists app_private.audit_direct_booking();
drop trigger if exists class_bookings_rules on public.class_bookings;
drop trigger if exists benefit_bookings_rules on public.benefit_bookings;
drop function if exists app_private.enforce_booking_rules();
drop function if exists app_private.raise_refusal(text, text, text);
drop function if exists app_private.lock_booking_rows(text, uuid, uuid);
drop function if exists app_private.booking_refusals(text, uuid, uuid, uuid);
drop function if exists app_private.entitlement_use(text, uuid, uuid, uuid);
drop function if exists app_private.places_taken(text, uuid, uuid);
drop function if exists app_private.booking_item(text, uuid);
