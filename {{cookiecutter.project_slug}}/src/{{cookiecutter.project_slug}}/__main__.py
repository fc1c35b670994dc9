from {{ cookiecutter.project_slug }}.cli import main

main()
