url = "{{ vault://billing/DATABASE_URL }}"
