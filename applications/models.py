# Applications, reviews and their clock arrive with the intake and review issue.
