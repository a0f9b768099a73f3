"""Accountability for results: requesters' evaluations of booked sessions, experts' process
notes, and complaints about a booking with the expert's answer and the coordinator's
decision. Sits above bookings (it reads them) and below mail and reports."""
