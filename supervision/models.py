# Cards, urge notices and assessments arrive with the supervision issue.
