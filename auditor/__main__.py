from auditor.launch import main

main()
