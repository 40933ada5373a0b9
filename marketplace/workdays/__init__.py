"""The working-day calendar (工作日历): public holidays and make-up working days (调休) as
data, and the deadlines counted in working days from it."""
